"""``Stage``: one step of a call's pipeline, with an inbox of the frames it accepts and a ``push`` onward.

A stage declares the frame types it ``accepts``; ``push`` hands a frame to the next stage down the list
that accepts its type, so a stage never sees frames it does not take (DTMF keys skip recognition) and a
new stage is inserted by adding it to the list (``build_call(stages=...)``) without editing the others.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar, Generic, TypeVar

from voice.endpointer import EndpointEvent
from voice.frames import Outgoing, Say, TurnFrame

if TYPE_CHECKING:
    from voice.stages.context import CallContext

Frame = EndpointEvent | TurnFrame | Outgoing
"""Everything that travels between stages: endpointer events, bot turns, prompts and call actions."""

F = TypeVar("F")


class Inbox(Generic[F]):
    """A stage's FIFO of frames. Not ``asyncio.Queue``: barge-in removes queued prompts from the middle
    (``drop``) and the pipeline asks whether a prompt is still waiting (``holds``), which Queue cannot."""

    def __init__(self) -> None:
        self._items: deque[F] = deque()
        self._ready = asyncio.Event()

    def put(self, item: F) -> None:
        self._items.append(item)
        self._ready.set()

    async def get(self) -> F:
        while not self._items:
            self._ready.clear()
            await self._ready.wait()
        return self._items.popleft()

    def empty(self) -> bool:
        return not self._items

    def holds(self, wanted: Callable[[F], bool]) -> bool:
        return any(wanted(item) for item in self._items)

    def drop(self, unwanted: Callable[[F], bool]) -> None:
        """Remove the queued items ``unwanted`` picks, keeping the others in order."""
        kept = [item for item in self._items if not unwanted(item)]
        self._items.clear()
        self._items.extend(kept)


def is_outgoing(frame: object) -> bool:
    """A prompt or a call action on its way to the output."""
    return isinstance(frame, Outgoing)


def is_prompt(frame: object) -> bool:
    """A queued prompt (not a call action): what barge-in drops."""
    return isinstance(frame, Outgoing) and isinstance(frame.item, Say)


class Stage(Generic[F]):
    """Base class: set ``accepts`` and override ``process``; ``push`` sends a frame on down the list.

    The pipeline runs ``run`` as one task per stage. ``self.call`` (``CallContext``) is the call's shared
    state: its settings, sink and locale, the caller's speech onsets, the no-input timer, barge-in."""

    accepts: ClassVar[tuple[type, ...]] = ()
    """The frame types this stage takes; the others pass it by."""

    name: ClassVar[str] = "stage"

    terminal: ClassVar[bool] = False
    """True for a stage where frames end (the bot turn, the output): a prompt it is working on has
    arrived. A prompt inside any other stage is still on its way (``CallContext.prompt_waiting``)."""

    def __init__(self) -> None:
        self.inbox: Inbox[F] = Inbox()
        self.working: F | None = None
        """The frame ``process`` is on, if any."""
        self._cut = False
        """Barge-in came while ``working`` was a prompt: what it pushes of it is dropped."""
        self._call: CallContext | None = None

    @property
    def call(self) -> CallContext:
        if self._call is None:
            raise RuntimeError(f"{type(self).__name__} is not part of a pipeline")
        return self._call

    def bind(self, call: CallContext) -> None:
        """Called once by the pipeline that runs this stage."""
        self._call = call

    def push(self, frame: Frame) -> None:
        """Hand ``frame`` to the next stage down the list that accepts it."""
        if self._cut and is_prompt(frame):
            return
        self.call.deliver(frame, after=self)

    async def process(self, frame: F) -> None:
        """One frame from the inbox. The default passes it on unchanged."""
        self.push(frame)  # type: ignore[arg-type]

    def interrupt(self, onset_at: float) -> None:
        """Barge-in at ``onset_at``: the caller spoke (or keyed) over a prompt. By default the queued
        prompts are dropped, and so is the one in process (call actions are kept)."""
        self.inbox.drop(is_prompt)
        self._cut = is_prompt(self.working)

    async def run(self) -> None:
        try:
            while True:
                self.working, self._cut = await self.inbox.get(), False
                try:
                    await self.process(self.working)
                finally:
                    self.working = None
        finally:
            await self.stopped()

    async def stopped(self) -> None:
        """The call is over: release what the stage holds."""

    def background(self) -> list[asyncio.Task[None]]:
        """Tasks of the stage's own that the pipeline must stop with the call (playback)."""
        return []
