"""A simulated caller over /ws/media: streams PCM, sends DTMF, records the bot's audio and text."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import aiohttp

from adapters.acs.media_messages import audio_data_in, audio_metadata_in, dtmf_in, parse_outbound
from services.speech.base import FRAME_BYTES, FRAME_MS
from voice.filters import dbfs

SILENCE = b"\x00" * FRAME_BYTES
AUDIBLE_DBFS = -50.0
"""A frame louder than this is heard (the VAD's energy floor); espeak-ng's silences and line hiss are not."""


@dataclass
class CallResult:
    caller_text: list[str] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    audio: bytearray = field(default_factory=bytearray)
    audio_frames: list[float] = field(default_factory=list)
    """Arrival time (monotonic) of each bot audio frame."""
    audible_frames: list[float] = field(default_factory=list)
    """Arrival time of each bot audio frame louder than ``AUDIBLE_DBFS`` (speech, not padding)."""
    stop_audio: list[float] = field(default_factory=list)
    server_timings: list[dict[str, Any]] = field(default_factory=list)
    transfers: list[dict[str, Any]] = field(default_factory=list)
    barge_in_ms: list[float] = field(default_factory=list)
    """Server-measured: first voiced frame of the interruption -> StopAudio sent and synthesis cancelled."""
    caller_states: list[str] = field(default_factory=list)
    """The caller's verification state as the bot's replies reported it (unknown/identified/verified)."""
    speech_sent_at: list[tuple[float, float]] = field(default_factory=list)
    """(start, end) monotonic times of each caller utterance sent."""
    last_voice_sent_at: list[float] = field(default_factory=list)
    """When the last audible frame of each caller utterance was sent (its trailing silence excluded)."""
    closed_by_server: bool = False
    close_code: int | None = None

    def timings(self) -> dict[str, Any]:
        out: dict[str, Any] = {"server": self.server_timings}
        if self.barge_in_ms:
            out["barge_in_ms"] = self.barge_in_ms
        for i, voice_end in enumerate(self.last_voice_sent_at):
            after = [t for t in self.audible_frames if t > voice_end]
            if after:
                out[f"utterance{i + 1}_voice_to_voice_ms"] = round((after[0] - voice_end) * 1000, 1)
        return out


def media_url(base: str, caller: str, lang: str | None = None) -> str:
    parts = urlsplit(base)
    query = {"softphone": "1", "from": caller}
    if lang:
        query["lang"] = lang
    extra = ("&" + parts.query) if parts.query else ""
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/ws/media", urlencode(query) + extra, ""))


class SimulatedCall:
    """An open call: send speech/DTMF/silence with real-time pacing, read everything the server sends."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, result: CallResult) -> None:
        self.ws = ws
        self.result = result
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for msg in self.ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            kind, pcm = parse_outbound(msg.data)
            now = time.monotonic()
            if kind == "AudioData" and pcm is not None:
                self.result.audio.extend(pcm)
                self.result.audio_frames.append(now)
                if dbfs(pcm) > AUDIBLE_DBFS:
                    self.result.audible_frames.append(now)
            elif kind == "StopAudio":
                self.result.stop_audio.append(now)
            else:
                body = json.loads(msg.data)
                if kind == "Transcript" and body.get("final"):
                    target = self.result.caller_text if body.get("role") == "caller" else self.result.replies
                    target.append(body.get("text", ""))
                elif kind == "Timings":
                    self.result.server_timings.append({k: v for k, v in body.items() if k != "kind"})
                elif kind == "Transfer":
                    self.result.transfers.append(body)
                elif kind == "Caller":
                    self.result.caller_states.append(str(body.get("state", "")))
                elif kind == "BargeIn":
                    self.result.barge_in_ms.append(float(body.get("latency_ms", -1)))
        self.result.closed_by_server = True
        self.result.close_code = self.ws.close_code

    @property
    def closed(self) -> bool:
        return self._reader.done()

    async def send_frames(self, pcm: bytes, *, fast: bool = False) -> float:
        """Stream ``pcm`` (real time unless ``fast``); return when its last audible frame went out."""
        start = time.monotonic()
        n = 0
        last_audible = 0.0
        for i in range(0, len(pcm), FRAME_BYTES):
            if self.closed:
                return last_audible
            frame = pcm[i : i + FRAME_BYTES].ljust(FRAME_BYTES, b"\x00")
            await self.ws.send_str(audio_data_in(frame))
            if dbfs(frame) > AUDIBLE_DBFS:
                last_audible = time.monotonic()
            n += 1
            if fast:
                if n % 25 == 0:
                    await asyncio.sleep(0)
            else:
                delay = start + n * FRAME_MS / 1000 - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
        return last_audible

    async def say(self, pcm: bytes, *, fast: bool = False) -> None:
        start = time.monotonic()
        last_audible = await self.send_frames(pcm, fast=fast)
        self.result.speech_sent_at.append((start, time.monotonic()))
        self.result.last_voice_sent_at.append(last_audible or time.monotonic())

    async def silence(self, seconds: float) -> None:
        await self.send_frames(SILENCE * int(seconds * 1000 / FRAME_MS))

    async def dtmf(self, digits: str, gap_s: float = 0.1) -> None:
        for digit in digits:
            await self.ws.send_str(dtmf_in(digit))
            await self.silence(gap_s)

    async def listen_until_quiet(
        self, quiet_s: float = 1.2, timeout_s: float = 20.0, min_frames: int = 1
    ) -> bool:
        """Send silence (a live line) until bot audio has come and then stopped for ``quiet_s``."""
        deadline = time.monotonic() + timeout_s
        seen = len(self.result.audio_frames)
        while time.monotonic() < deadline and not self.closed:
            await self.silence(0.1)
            frames = self.result.audio_frames
            if len(frames) - seen >= min_frames and time.monotonic() - frames[-1] >= quiet_s:
                return True
        return False

    async def hang_up(self) -> None:
        if not self.ws.closed:
            await self.ws.close()
        await asyncio.wait([self._reader], timeout=5)


async def open_call(
    session: aiohttp.ClientSession, url: str, caller: str = "+14255550100", lang: str | None = None
) -> SimulatedCall:
    ws = await session.ws_connect(media_url(url, caller, lang), max_msg_size=1 << 22)
    await ws.send_str(audio_metadata_in())
    return SimulatedCall(ws, CallResult())


async def run_call(
    url: str,
    pcm: bytes,
    *,
    caller: str = "+14255550100",
    dtmf: str = "",
    fast: bool = False,
    wait_greeting: bool = True,
    timeout_s: float = 30.0,
) -> CallResult:
    """The whole simulated call: hear the greeting, speak, (key DTMF), hear the reply, hang up."""
    async with aiohttp.ClientSession() as session:
        call = await open_call(session, url, caller)
        try:
            if wait_greeting:
                await call.listen_until_quiet(timeout_s=timeout_s)
            if pcm:
                await call.say(pcm, fast=fast)
                await call.listen_until_quiet(timeout_s=timeout_s)
            if dtmf:
                await call.dtmf(dtmf)
                await call.listen_until_quiet(timeout_s=timeout_s)
        finally:
            await call.hang_up()
        return call.result
