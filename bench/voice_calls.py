"""How many simultaneous calls one process (one core) carries at 20 ms frames: p99 frame lateness vs calls.

STT/TTS are network-like relays (tests/support/voice_relay.py), so this measures our own pipeline: JSON+base64
parsing of every inbound frame, webrtcvad, endpointing, bot turns, paced sending with JSON encoding.
Run: ``python -m bench.voice_calls [--calls 50,100,200,300] [--seconds 6]``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import time

import numpy as np

from adapters.acs.media_messages import audio_data_in, audio_data_out, parse_inbound, stop_audio_out
from services.speech.base import FRAME_BYTES
from tests.support.voice_relay import RelaySpeechToText, RelayTextToSpeech
from voice.call import VoiceEngines, build_call
from voice.frames import InputHint, Say
from voice.pipeline import CallPipeline


class CountingSink:
    def __init__(self) -> None:
        self.frames = 0

    async def send_audio(self, pcm: bytes) -> None:
        audio_data_out(pcm)  # the serialisation the real socket pays
        self.frames += 1

    async def stop_audio(self) -> None:
        stop_audio_out()

    async def send_event(self, kind: str, body: dict) -> None:
        return None


class EchoHandler:
    def __init__(self) -> None:
        self.pipeline: CallPipeline | None = None

    async def on_utterance(self, text: str, language: str) -> None:
        assert self.pipeline is not None
        self.pipeline.say(Say("You said " + text, language, InputHint.EXPECTING))

    async def on_dtmf(self, digits: str) -> None:
        return None

    async def on_silence_timeout(self, count: int) -> None:
        return None

    async def on_speech_unrecognised(self, count: int) -> None:
        return None


def caller_loop_pcm() -> list[str]:
    """2.5 s of speech-like audio then 1.5 s of silence, as inbound JSON messages (encoded once)."""
    try:
        from tests.support.speech_fixtures import make_speech_pcm

        speech = make_speech_pcm("I lost my credit card please block it", "en-US", noise_db=-60)
    except (ImportError, RuntimeError, OSError):
        t = np.arange(16000 * 2) / 16000
        speech = (
            (np.sin(2 * np.pi * 220 * t) * 8000 * (1 + np.sin(2 * np.pi * 3 * t))).astype("<i2").tobytes()
        )
    pcm = speech + b"\x00" * (16000 * 2 * 3 // 2)
    frames = [pcm[i : i + FRAME_BYTES].ljust(FRAME_BYTES, b"\0") for i in range(0, len(pcm), FRAME_BYTES)]
    return [audio_data_in(f) for f in frames]


async def run_level(n_calls: int, seconds: float, messages: list[str]) -> dict[str, float]:
    lateness: list[float] = []
    pipelines: list[CallPipeline] = []
    stt, tts = RelaySpeechToText(delay_s=0.15), RelayTextToSpeech(first_frame_s=0.1)

    async def feed(pipeline: CallPipeline, offset: int) -> None:
        start = time.monotonic() + (offset % 50) * 0.0004
        n = 0
        end = start + seconds
        while True:
            due = start + n * 0.02
            if due > end:
                return
            now = time.monotonic()
            if due > now:
                await asyncio.sleep(due - now)
            lateness.append(max(0.0, time.monotonic() - due))
            message = parse_inbound(messages[(n + offset) % len(messages)])
            pipeline.push_audio(message.audio_data.pcm())  # type: ignore[union-attr]
            n += 1

    for i in range(n_calls):
        handler = EchoHandler()
        pipeline = build_call(VoiceEngines(stt, tts), CountingSink(), handler, call_id=f"bench-{i}")
        handler.pipeline = pipeline
        pipeline.start()
        pipelines.append(pipeline)
    gc.collect()
    cpu0 = time.process_time()
    t0 = time.monotonic()
    await asyncio.gather(*(feed(p, i * 7) for i, p in enumerate(pipelines)))
    wall = time.monotonic() - t0
    cpu = time.process_time() - cpu0
    send_late = [x for p in pipelines for x in p.lateness]
    await asyncio.gather(*(p.close() for p in pipelines))
    both = np.array(lateness + send_late) * 1000
    return {
        "calls": n_calls,
        "cpu_ms_per_call_s": 1000 * cpu / (wall * n_calls),
        "in_p50_ms": float(np.percentile(np.array(lateness) * 1000, 50)),
        "in_p99_ms": float(np.percentile(np.array(lateness) * 1000, 99)),
        "out_p99_ms": float(np.percentile(np.array(send_late) * 1000, 99)) if send_late else 0.0,
        "p99_ms": float(np.percentile(both, 99)),
        "cpu_pct": 100 * cpu / wall,
        "turns": sum(len(p.turns) for p in pipelines),
    }


async def cpu_cost(n_calls: int, audio_seconds: float, messages: list[str]) -> float:
    """CPU ms per call-second with no pacing (load-independent): every stage, frames as fast as they go."""
    from voice.settings import VoiceSettings

    unpaced = VoiceSettings(playback_lead_frames=1_000_000)
    stt, tts = RelaySpeechToText(delay_s=0.0), RelayTextToSpeech(first_frame_s=0.0)
    pipelines = []
    for i in range(n_calls):
        handler = EchoHandler()
        pipeline = build_call(VoiceEngines(stt, tts, unpaced), CountingSink(), handler, call_id=f"c{i}")
        handler.pipeline = pipeline
        pipeline.start()
        pipelines.append(pipeline)
    frames = int(audio_seconds / 0.02)
    cpu0 = time.process_time()
    for n in range(frames):
        for i, pipeline in enumerate(pipelines):
            message = parse_inbound(messages[(n + i * 7) % len(messages)])
            pipeline.push_audio(message.audio_data.pcm())  # type: ignore[union-attr]
        await asyncio.sleep(0)
    while any(p.busy for p in pipelines):  # noqa: ASYNC110 - polling many pipelines is simplest here
        await asyncio.sleep(0.01)
    cpu = time.process_time() - cpu0
    await asyncio.gather(*(p.close() for p in pipelines))
    return 1000 * cpu / (n_calls * audio_seconds)


async def loop_floor(n_tasks: int, seconds: float) -> float:
    """p99 lateness (ms) of plain sleeping tasks on this loop: the machine's own floor under its load."""
    late: list[float] = []

    async def ticker() -> None:
        start = time.monotonic()
        for n in range(int(seconds / 0.02)):
            due = start + n * 0.02
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            late.append(time.monotonic() - due)

    await asyncio.gather(*(ticker() for _ in range(n_tasks)))
    return float(np.percentile(np.array(late) * 1000, 99))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", default="50,100,200,300,400")
    parser.add_argument("--seconds", type=float, default=6.0)
    args = parser.parse_args()
    messages = caller_loop_pcm()
    import app  # noqa: F401  - a realistic heap (botbuilder, recognizers, SDKs), frozen as the server does

    gc.collect()
    gc.freeze()
    print(f"one process (= one core of {os.cpu_count()}), relay STT/TTS, {args.seconds:.0f} s per level")
    print(f"load average now: {os.getloadavg()[0]:.1f} (other processes share these cores)")
    print(
        f"{'calls':>6} {'in p50':>8} {'in p99':>8} {'out p99':>8} {'p99':>8} {'floor p99':>9} "
        f"{'cpu%':>6} {'cpu ms/call-s':>13} {'turns':>6}"
    )
    best = 0
    for n in (int(x) for x in args.calls.split(",")):
        floor = asyncio.run(loop_floor(n, min(args.seconds, 3.0)))
        r = asyncio.run(run_level(n, args.seconds, messages))
        print(
            f"{n:>6} {r['in_p50_ms']:>8.2f} {r['in_p99_ms']:>8.2f} {r['out_p99_ms']:>8.2f} "
            f"{r['p99_ms']:>8.2f} {floor:>9.2f} {r['cpu_pct']:>6.0f} "
            f"{r['cpu_ms_per_call_s']:>13.2f} {r['turns']:>6}"
        )
        if r["p99_ms"] <= 20.0:
            best = n
    cost = asyncio.run(cpu_cost(50, 8.0, messages))
    print(f"max calls with p99 frame lateness <= 20 ms (measured, this load): {best}")
    print(
        f"CPU per call: {cost:.2f} ms per call-second -> {800 / cost:.0f} calls per core at 80% CPU "
        "(target >= 200 per core)"
    )


if __name__ == "__main__":
    main()
