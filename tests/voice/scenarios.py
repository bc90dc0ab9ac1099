"""Timed caller scenarios over /ws/media (shared by the voice tests and bench/voice_races.py)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import aiohttp

from adapters.acs.simulator import SimulatedCall, open_call

CALLER = "+14255550123"


async def hear_until_quiet(call: SimulatedCall, quiet_s: float = 0.3, timeout_s: float = 10.0) -> float:
    """Keep the line live until bot audio has come and stopped for ``quiet_s``; the last frame's time."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not call.closed:
        await call.silence(0.02)
        frames = call.result.audio_frames
        if frames and time.monotonic() - frames[-1] >= quiet_s:
            return frames[-1]
    raise TimeoutError("no prompt was heard")


async def silence_until(call: SimulatedCall, at: float) -> None:
    """Real-time line silence until monotonic time ``at``."""
    remaining = at - time.monotonic()
    if remaining > 0:
        await call.silence(remaining)


async def wait_reply(
    call: SimulatedCall, prefix: str | tuple[str, ...], after: int, timeout_s: float
) -> float | None:
    """Live line until a bot reply starting with ``prefix`` (or one of them; past the first ``after``
    replies) arrives."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not call.closed:
        if any(r.startswith(prefix) for r in call.result.replies[after:]):
            return time.monotonic()
        await call.silence(0.02)
    return None


@dataclass
class RaceOutcome:
    offset_s: float
    answered: bool
    replies: list[str]
    speech_end_to_answer_s: float | None
    greeted: bool = True
    """False: no greeting was heard (whole) within ``hear_until_quiet``'s bound, so the caller never spoke."""
    server_timings: list[dict[str, float]] | None = None
    """The server's split of each turn's wait (endpointing, STT, bot, TTS first frame)."""


async def speak_near_reprompt(
    url: str,
    speech: bytes,
    no_input_s: float,
    offset_s: float,
    answer_prefix: str | tuple[str, ...],
    timeout_s: float = 6.0,
) -> RaceOutcome:
    """Hear the greeting, stay silent, start ``speech`` ``offset_s`` from the no-input deadline; answered
    (a reply starting with ``answer_prefix``, or one of them)?"""
    async with aiohttp.ClientSession() as http:
        call = await open_call(http, url, CALLER)
        try:
            try:
                greeting_end = await hear_until_quiet(call)
            except TimeoutError:
                return RaceOutcome(offset_s, False, list(call.result.replies), None, greeted=False)
            await silence_until(call, greeting_end + no_input_s + offset_s)
            await call.say(speech)
            spoke_until = time.monotonic()
            answered_at = await wait_reply(call, answer_prefix, 1, timeout_s)
        finally:
            await call.hang_up()
    return RaceOutcome(
        offset_s,
        answered_at is not None,
        list(call.result.replies),
        None if answered_at is None else answered_at - spoke_until,
        server_timings=list(call.result.server_timings),
    )


@dataclass
class TalkOverOutcome:
    onset_to_stop_s: float | None
    """Caller's first speech frame sent -> StopAudio received (None: no StopAudio)."""
    speech_end_to_reply_s: float | None
    """Last caller frame sent -> the reply's transcript (its audio follows at once) (None: no reply)."""
    replies: list[str]


async def talk_over_greeting(
    url: str, speech: bytes, lead_s: float, answer_prefix: str, timeout_s: float = 8.0
) -> TalkOverOutcome:
    """Speak ``lead_s`` after connecting (over the greeting); time StopAudio and the reply."""
    async with aiohttp.ClientSession() as http:
        call = await open_call(http, url, CALLER)
        try:
            await call.silence(lead_s)
            onset = time.monotonic()
            await call.say(speech)
            spoke_until = time.monotonic()
            answered_at = await wait_reply(call, answer_prefix, 0, timeout_s)
        finally:
            await call.hang_up()
    stops = [t for t in call.result.stop_audio if t >= onset]
    return TalkOverOutcome(
        stops[0] - onset if stops else None,
        None if answered_at is None else answered_at - spoke_until,
        list(call.result.replies),
    )
