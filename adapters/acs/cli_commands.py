"""`python cli.py call`: a simulated phone call over /ws/media from a WAV file."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import wave
from pathlib import Path

from services.speech.base import SAMPLE_RATE


class WavError(ValueError):
    """A WAV file the simulator cannot send."""


def read_wav_16k_mono(path: Path) -> bytes:
    """16-bit PCM at 16 kHz mono; other rates are resampled (soxr), stereo is mixed down."""
    try:
        with wave.open(str(path)) as wav:
            rate, channels, width = wav.getframerate(), wav.getnchannels(), wav.getsampwidth()
            pcm = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError) as exc:
        raise WavError(f"{path}: not a PCM WAV file ({exc})") from exc
    if width != 2:
        raise WavError(f"{path}: {8 * width}-bit samples; 16-bit PCM is required")
    if channels == 1 and rate == SAMPLE_RATE:
        return pcm
    import numpy as np

    audio = np.frombuffer(pcm, dtype="<i2").reshape(-1, channels).mean(axis=1).astype(np.float32)
    if rate != SAMPLE_RATE:
        try:
            import soxr
        except ImportError as exc:
            raise WavError(f"{path}: {rate} Hz needs resampling to 16000 Hz and soxr is missing") from exc
        audio = soxr.resample(audio, rate, SAMPLE_RATE)
    return np.clip(audio, -32768, 32767).astype("<i2").tobytes()


def write_wav(path: Path, pcm: bytes) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(pcm)


def _call(args: argparse.Namespace) -> int:
    from adapters.acs.simulator import run_call

    try:
        pcm = read_wav_16k_mono(Path(args.wav))
    except (OSError, WavError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        result = asyncio.run(
            run_call(
                args.url, pcm, caller=args.from_number, dtmf=args.dtmf, fast=args.fast, timeout_s=args.timeout
            )
        )
    except OSError as exc:
        print(f"error: cannot reach {args.url}: {exc}", file=sys.stderr)
        return 3
    out = Path(args.out)
    write_wav(out, bytes(result.audio))
    report: dict[str, object] = {
        "caller_text": result.caller_text,
        "replies": result.replies,
        "audio_out": str(out),
        "timings": {
            **result.timings(),
            "reply_audio_seconds": round(len(result.audio) / (2 * SAMPLE_RATE), 2),
            "stop_audio_count": len(result.stop_audio),
        },
    }
    if result.transfers:
        report["transfers"] = result.transfers
    print(json.dumps(report, indent=2))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("call", help="simulate a phone call from a WAV file over /ws/media")
    parser.add_argument(
        "--wav", required=True, help="caller audio (16 kHz mono 16-bit; others are resampled)"
    )
    parser.add_argument("--url", default="ws://127.0.0.1:3978/ws/media", help="the bot's media WebSocket")
    parser.add_argument("--from", dest="from_number", default="+14255550100", help="caller number (E.164)")
    parser.add_argument("--dtmf", default="", help="keys to press after speaking, e.g. 1234#")
    parser.add_argument("--fast", action="store_true", help="send the caller audio faster than real time")
    parser.add_argument("--out", default="reply.wav", help="where to write the bot's audio")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for each reply")
    parser.set_defaults(func=_call)
