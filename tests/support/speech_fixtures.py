"""Test speech made with Debian's espeak-ng: 16 kHz 16-bit mono PCM or WAV, with optional silence padding."""

from __future__ import annotations

import io
import shutil
import subprocess
import wave
from functools import lru_cache
from pathlib import Path

import numpy as np
import soxr

ESPEAK_RATE = 22_050
_VOICES = {"en": "en-us", "es": "es-419"}


def espeak_voice(lang: str) -> str:
    """The espeak-ng voice for a locale or language code (``en-US``/``es-MX``/``en``/``es``)."""
    return _VOICES.get(lang.lower()[:2], "en-us")


def _require_espeak() -> str:
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise RuntimeError("espeak-ng is not installed: apt-get install -y espeak-ng")
    return exe


@lru_cache(maxsize=256)
def _synth(text: str, voice: str, speed: int, pitch: int) -> bytes:
    out = subprocess.run(
        [_require_espeak(), "-v", voice, "-s", str(speed), "-p", str(pitch), "--stdout", "--stdin"],
        input=text.encode("utf-8"),
        capture_output=True,
        check=True,
        timeout=30,
    ).stdout
    with wave.open(io.BytesIO(out)) as wav:
        assert wav.getframerate() == ESPEAK_RATE and wav.getsampwidth() == 2
        return wav.readframes(wav.getnframes())


def make_speech_pcm(
    text: str,
    lang: str = "en-US",
    rate: int = 16_000,
    *,
    lead_ms: int = 0,
    trail_ms: int = 0,
    speed: int = 160,
    pitch: int = 50,
    noise_db: float | None = None,
    trim: bool = False,
    voice: str | None = None,
) -> bytes:
    """Speak ``text`` with espeak-ng; return 16-bit mono PCM at ``rate``, padded with silence.

    ``noise_db`` adds white noise at that level relative to full scale (e.g. -60) so silence is not
    digital zero, as on a real line. ``trim`` cuts espeak-ng's own leading/trailing silence first, so
    ``lead_ms``/``trail_ms`` are the exact pauses. ``voice`` is any espeak-ng voice (``en-gb-x-rp``,
    ``en-us+f3``); the default is the locale's.
    """
    raw = np.frombuffer(_synth(text, voice or espeak_voice(lang), speed, pitch), dtype=np.int16)
    if trim:
        loud = np.flatnonzero(np.abs(raw) > 300)
        raw = raw[loud[0] : loud[-1] + 1] if loud.size else raw[:0]
    audio = soxr.resample(raw.astype(np.float32) / 32768.0, ESPEAK_RATE, rate)
    lead = np.zeros(rate * lead_ms // 1000, dtype=np.float32)
    trail = np.zeros(rate * trail_ms // 1000, dtype=np.float32)
    audio = np.concatenate([lead, audio.astype(np.float32), trail])
    if noise_db is not None:
        rng = np.random.default_rng(1234)
        audio = audio + rng.normal(0.0, 10 ** (noise_db / 20), audio.shape).astype(np.float32)
    return (np.clip(audio, -1.0, 1.0) * 32767).astype("<i2").tobytes()


def telephone_band(pcm: bytes, rate: int = 16_000) -> bytes:
    """16-bit PCM taken down to 8 kHz and back up, as a phone call reaches the bot (nothing above 4 kHz)."""
    audio = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
    narrow = soxr.resample(soxr.resample(audio, rate, 8_000), 8_000, rate)
    return (np.clip(narrow, -1.0, 1.0) * 32767).astype("<i2").tobytes()


def write_wav(pcm: bytes, path: str | Path, rate: int = 16_000) -> Path:
    """Write 16-bit mono PCM to a WAV file."""
    path = Path(path)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm)
    return path


def make_speech_wav(text: str, lang: str, path: str | Path, rate: int = 16_000, **kwargs: object) -> Path:
    """Speak ``text`` into a 16-bit mono WAV at ``rate``; keyword arguments as ``make_speech_pcm``."""
    return write_wav(make_speech_pcm(text, lang, rate, **kwargs), path, rate)  # type: ignore[arg-type]


def frames(pcm: bytes, frame_bytes: int = 640) -> list[bytes]:
    """Cut PCM into fixed frames, zero-padding the last."""
    out = [pcm[i : i + frame_bytes] for i in range(0, len(pcm), frame_bytes)]
    if out and len(out[-1]) < frame_bytes:
        out[-1] = out[-1] + b"\x00" * (frame_bytes - len(out[-1]))
    return out
