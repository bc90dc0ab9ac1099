"""PCM helpers shared by the speech engines: format checks, WAV reading, 20 ms framing."""

from __future__ import annotations

import io
import wave

from services.speech.base import FRAME_BYTES, SAMPLE_RATE, SAMPLE_WIDTH, UnsupportedAudioFormat


def check_rate(sample_rate: int) -> None:
    """Raise ``UnsupportedAudioFormat`` unless the rate is 16 kHz (the only rate the ports carry)."""
    if sample_rate != SAMPLE_RATE:
        raise UnsupportedAudioFormat(f"expected {SAMPLE_RATE} Hz 16-bit mono PCM, got {sample_rate} Hz")


def check_pcm(pcm: bytes) -> None:
    if len(pcm) % SAMPLE_WIDTH:
        raise UnsupportedAudioFormat(f"16-bit PCM must have an even byte count, got {len(pcm)}")


def pcm_from_wav(data: bytes) -> bytes:
    """The samples of a 16 kHz 16-bit mono WAV; ``UnsupportedAudioFormat`` for anything else."""
    try:
        with wave.open(io.BytesIO(data)) as wav:
            if wav.getnchannels() != 1 or wav.getsampwidth() != SAMPLE_WIDTH:
                got = f"{wav.getnchannels()} channel(s) of {wav.getsampwidth() * 8} bit"
                raise UnsupportedAudioFormat(f"expected mono 16-bit, got {got}")
            check_rate(wav.getframerate())
            return wav.readframes(wav.getnframes())
    except (wave.Error, EOFError) as exc:
        raise UnsupportedAudioFormat(f"not a WAV file: {exc}") from exc


class Framer:
    """Collects PCM of any length and hands out whole 640-byte frames."""

    def __init__(self, frame_bytes: int = FRAME_BYTES) -> None:
        self._size = frame_bytes
        self._buf = bytearray()

    def feed(self, pcm: bytes) -> list[bytes]:
        self._buf += pcm
        cut = len(self._buf) - len(self._buf) % self._size
        if not cut:
            return []
        out = [bytes(self._buf[i : i + self._size]) for i in range(0, cut, self._size)]
        del self._buf[:cut]
        return out

    def flush(self) -> bytes | None:
        """The remainder padded with silence to a whole frame, or None when nothing is left."""
        if not self._buf:
            return None
        frame = bytes(self._buf) + b"\x00" * (self._size - len(self._buf))
        self._buf.clear()
        return frame
