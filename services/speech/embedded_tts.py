"""Offline text-to-speech on Debian's espeak-ng: SSML to segments, 22.05 kHz stdout resampled to 16 kHz.

Frames leave as soon as espeak-ng writes samples (it streams ``--stdout``); closing or cancelling the
iterator kills the process, which is how barge-in stops synthesis. espeak-ng ends every segment with
~340 ms of silence; all but ``TAIL_KEPT_MS`` of it is dropped, so the next segment or prompt (or the
caller's turn) is not held back by it. SSML breaks are kept as written.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import struct
from collections.abc import AsyncGenerator, AsyncIterator

import numpy as np
import soxr

from locales import languages
from services.speech.audio import Framer
from services.speech.base import FRAME_BYTES, SAMPLE_RATE, SpeechUnavailable
from services.speech.ssml import BreakSegment, TextSegment, parse_ssml

ESPEAK_RATE = 22_050
_READ = 2048  # ~46 ms of espeak audio per read: small enough for an early first frame
TAIL_KEPT_MS = 80
"""Silence kept at the end of a spoken segment: the last word's decay, and a short gap between sentences."""
_QUIET_PEAK = 100  # peak sample below ~-50 dBFS: espeak-ng's silence after resampling


class EspeakTextToSpeech:
    """``TextToSpeech`` through an ``espeak-ng`` subprocess per text segment."""

    def __init__(
        self,
        voices: dict[str, str] | None = None,
        speed_wpm: int = 165,
        pitch: int = 50,
        executable: str = "espeak-ng",
        timeout_seconds: float = 20.0,
    ) -> None:
        self.voices = {language.code: language.espeak_voice for language in languages.LANGUAGES}
        self.voices.update(voices or {})
        self.speed_wpm = speed_wpm
        self.pitch = pitch
        self._exe = shutil.which(executable)
        self._timeout = timeout_seconds
        self.running: set[asyncio.subprocess.Process] = set()
        """Live espeak-ng processes (tests and shutdown look here)."""

    def voice_for(self, lang: str, ssml_voice: str = "") -> str:
        # An SSML voice name like "es-MX-DaliaNeural" is an Azure voice: only its locale matters here.
        code = languages.code_of(lang or ssml_voice)
        return self.voices.get(code) or self.voices[languages.default_language().code]

    async def synthesize(self, ssml_or_text: str, locale: str) -> AsyncIterator[bytes]:
        """Yield 640-byte frames of 16 kHz mono PCM, the first ~30 ms after the call.

        Consume it inside ``contextlib.aclosing`` so a cancelled consumer stops espeak-ng at once
        (an abandoned async generator is only closed when the garbage collector gets to it).
        """
        if self._exe is None:
            raise SpeechUnavailable("espeak-ng is not installed (apt-get install -y espeak-ng)")
        framer = Framer(FRAME_BYTES)
        for segment in parse_ssml(ssml_or_text, locale):
            if isinstance(segment, BreakSegment):
                for frame in framer.feed(b"\x00\x00" * (SAMPLE_RATE * segment.ms // 1000)):
                    yield frame
                continue
            quiet: list[bytes] = []  # silent frames held back until speech follows them
            # aclosing: when our consumer stops early, the inner generator (and espeak-ng) stop now.
            async with contextlib.aclosing(self._speak(segment)) as audio:
                async for pcm in audio:
                    for frame in framer.feed(pcm):
                        if _is_quiet(frame):
                            quiet.append(frame)
                            continue
                        for held in quiet:
                            yield held
                        quiet.clear()
                        yield frame
            for held in quiet[: TAIL_KEPT_MS * SAMPLE_RATE // 1000 * 2 // FRAME_BYTES]:
                yield held
        last = framer.flush()
        if last is not None:
            yield last

    async def _speak(self, segment: TextSegment) -> AsyncGenerator[bytes, None]:
        assert self._exe is not None
        voice = self.voice_for(segment.lang, segment.voice)
        args = [self._exe, "-v", voice, "-s", str(self.speed_wpm), "-p", str(self.pitch)]
        args += ["--stdout", "--stdin"]
        proc = await asyncio.create_subprocess_exec(
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        self.running.add(proc)
        resampler = soxr.ResampleStream(ESPEAK_RATE, SAMPLE_RATE, 1, dtype="int16", quality="HQ")
        try:
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write(segment.text.encode("utf-8"))
            await proc.stdin.drain()
            proc.stdin.close()
            await asyncio.wait_for(_read_wav_header(proc.stdout), self._timeout)
            carry = b""
            while True:
                chunk = await asyncio.wait_for(proc.stdout.read(_READ), self._timeout)
                if not chunk:
                    break
                chunk, carry = _even(carry + chunk)
                out = resampler.resample_chunk(np.frombuffer(chunk, dtype="<i2"))
                if out.size:
                    yield out.astype("<i2").tobytes()
            tail = resampler.resample_chunk(np.zeros(0, dtype="<i2"), last=True)
            if tail.size:
                yield tail.astype("<i2").tobytes()
            await asyncio.wait_for(proc.wait(), self._timeout)
        except TimeoutError as exc:
            raise SpeechUnavailable("espeak-ng stopped producing audio") from exc
        finally:
            await self._stop(proc)

    async def _stop(self, proc: asyncio.subprocess.Process) -> None:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):  # it may exit between the check and the kill
                proc.kill()
            await proc.wait()
        self.running.discard(proc)

    async def aclose(self) -> None:
        """Kill whatever is still speaking (shutdown)."""
        for proc in list(self.running):
            await self._stop(proc)


def _is_quiet(frame: bytes) -> bool:
    return int(np.abs(np.frombuffer(frame, dtype="<i2")).max(initial=0)) < _QUIET_PEAK


def _even(data: bytes) -> tuple[bytes, bytes]:
    cut = len(data) - len(data) % 2
    return data[:cut], data[cut:]


async def _read_wav_header(stream: asyncio.StreamReader) -> int:
    """Consume RIFF/WAVE chunks up to the ``data`` chunk; return the sample rate."""
    riff = await stream.readexactly(12)
    if riff[:4] != b"RIFF" or riff[8:12] != b"WAVE":
        raise SpeechUnavailable("espeak-ng did not write a WAV stream")
    rate = ESPEAK_RATE
    while True:
        chunk_id, size = struct.unpack("<4sI", await stream.readexactly(8))
        if chunk_id == b"data":
            if rate != ESPEAK_RATE:
                raise SpeechUnavailable(f"espeak-ng wrote {rate} Hz audio, expected {ESPEAK_RATE}")
            return rate
        body = await stream.readexactly(size + (size & 1))
        if chunk_id == b"fmt ":
            rate = struct.unpack("<I", body[4:8])[0]
