"""`python cli.py call` against a running server: JSON report, reply WAV, resampling and refusals."""

from __future__ import annotations

import asyncio
import json
import sys
import wave
from pathlib import Path

from adapters.acs.cli_commands import WavError, read_wav_16k_mono
from tests.support.speech_fixtures import make_speech_wav
from tests.support.voice_relay import RelaySpeechToText, RelayTextToSpeech
from tests.voice.harness import RecordingBot, rms
from tests.voice.test_call_flow import ws_url

ROOT = Path(__file__).resolve().parents[2]


async def run_cli(*args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "cli.py",
        "call",
        *args,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    return proc.returncode or 0, out.decode(), err.decode()


async def test_cli_call_prints_the_json_report_and_writes_the_reply_wav(start_server, tmp_path) -> None:
    wav = make_speech_wav("I lost my credit card", "en-US", tmp_path / "in.wav", rate=22050, trail_ms=200)
    bot = RecordingBot(greeting="Hello.")
    server = await start_server(bot, RelaySpeechToText("I lost my credit card"), RelayTextToSpeech())
    out_wav = tmp_path / "reply.wav"
    code, out, err = await run_cli(
        "--wav",
        str(wav),
        "--url",
        ws_url(server),
        "--from",
        "+14255550123",
        "--dtmf",
        "12#",
        "--fast",
        "--out",
        str(out_wav),
    )
    assert code == 0, err
    report = json.loads(out)
    assert report["caller_text"] == ["I lost my credit card"]
    assert report["replies"] == ["Hello.", "You said I lost my credit card.", "I got 2 digits."]
    assert report["audio_out"] == str(out_wav)
    assert report["timings"]["utterance1_voice_to_voice_ms"] > 0
    with wave.open(str(out_wav)) as w:
        assert (w.getframerate(), w.getnchannels()) == (16000, 1)
        assert rms(w.readframes(w.getnframes())) > 1000
    assert bot.received[1].from_property.id == "+14255550123"


async def test_cli_call_refuses_unusable_wav_files_clearly(tmp_path) -> None:
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF not really")
    code, _, err = await run_cli("--wav", str(bad), "--url", "ws://127.0.0.1:9/ws/media")
    assert code == 2 and "not a PCM WAV file" in err
    eight_bit = tmp_path / "8bit.wav"
    with wave.open(str(eight_bit), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(1)
        w.setframerate(8000)
        w.writeframes(b"\x80" * 800)
    try:
        read_wav_16k_mono(eight_bit)
    except WavError as exc:
        assert "16-bit PCM is required" in str(exc)
    else:
        raise AssertionError("8-bit WAV accepted")
