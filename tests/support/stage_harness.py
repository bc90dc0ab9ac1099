"""One pipeline stage run alone, in pipecat's manner: frames into its inbox, the frames it pushes out."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from voice.endpointer import Endpointer
from voice.settings import VoiceSettings
from voice.stages.base import Frame, Stage
from voice.stages.context import CallContext
from voice.stages.input import InputStage


class Collector(Stage[Any]):
    """Last in the harness: takes every frame the stage under test pushes."""

    accepts = (object,)

    def __init__(self) -> None:
        super().__init__()
        self.frames: list[Frame] = []

    async def process(self, frame: Any) -> None:
        self.frames.append(frame)


class NoSink:
    async def send_audio(self, pcm: bytes) -> None:
        return None

    async def stop_audio(self) -> None:
        return None

    async def send_event(self, kind: str, body: dict[str, Any]) -> None:
        return None


def stage_call(stage: Stage[Any], settings: VoiceSettings | None = None) -> tuple[CallContext, Collector]:
    """A call of three stages, an idle input, ``stage`` and a collector, bound but not running."""
    settings = settings or VoiceSettings()
    collector = Collector()
    source = InputStage(settings, Endpointer(settings, lambda pcm: False))
    call = CallContext([source, stage, collector], source, NoSink(), settings)
    for each in (source, stage, collector):
        each.bind(call)
    return call, collector


async def run_stage(
    stage: Stage[Any], frames_in: Iterable[Frame], *, call: CallContext | None = None, settle_s: float = 0.05
) -> list[Frame]:
    """Put ``frames_in`` in the stage's inbox, run it until it is idle, return what it pushed on."""
    if call is None:
        call, collector = stage_call(stage)
    else:
        collector = next(s for s in call.stages if isinstance(s, Collector))
    for frame in frames_in:
        stage.inbox.put(frame)  # type: ignore[arg-type]
    tasks = [asyncio.create_task(s.run()) for s in (stage, collector)]
    try:
        while not stage.inbox.empty():  # noqa: ASYNC110 - polling the stage under test is simplest here
            await asyncio.sleep(0.005)
        await asyncio.sleep(settle_s)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.wait(tasks)
    return collector.frames
