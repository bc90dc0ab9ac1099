"""Voice-to-voice latency on the embedded engines: end of caller speech -> first reply audio frame.

Each run is a simulated call over /ws/media (espeak-ng caller speech, real line silence after it) into
an in-process server. ``caller_ms`` is what the caller lives through: the last audible frame it sent ->
the first audible reply frame it received (louder than -50 dBFS: espeak-ng's trailing silence on the
caller's side and any leading silence of the reply do not count as speech). The server reports where
the time went (endpointing, STT, bot turn, TTS first frame, counted from its first frame, audible or not).
Run: ``python -m bench.voice_latency [--bot app|echo] [--runs 32]``. The other side of ending turns
sooner, callers cut off mid-sentence, is ``python -m bench.false_cuts``; barge-in latency is in
``python -m bench.voice_races``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
from typing import Any

from aiohttp import web

from adapters.acs.simulator import open_call
from bench.stats import percentile
from config import Settings
from voice.settings import VoiceSettings

PHRASES = [
    "I lost my credit card",
    "what is my balance",
    "block my debit card",
    "show me my recent transactions",
    "when is my card payment due",
    "my card was stolen",
    "I would like to know how much I have to pay on my credit card this month",
    "my debit card was stolen yesterday at the supermarket so please block it",
]
KEYS = ("endpointing_ms", "stt_ms", "bot_ms", "tts_first_frame_ms", "voice_to_voice_ms")


async def build_app(settings: Settings, bot_kind: str) -> web.Application:
    from services.speech.factory import create_stt, create_tts

    stt, tts = create_stt(settings), create_tts(settings)
    if hasattr(stt, "warm_up"):
        await stt.warm_up()
    if bot_kind == "app":
        import app as app_module

        application = await app_module.create_app(settings)
        services: Any = application[app_module.SERVICES_KEY]
        services.stt, services.tts = services.stt or stt, services.tts or tts
        return application
    from tests.voice.harness import RecordingBot, make_app

    return make_app(settings, RecordingBot(greeting="Hello."), stt, tts)


async def run(bot_kind: str, runs: int, voice: VoiceSettings) -> list[dict[str, float]]:
    from tests.support.speech_fixtures import make_speech_pcm

    settings = Settings()
    object.__setattr__(settings, "voice", voice)  # until config.Settings has a ``voice`` section
    application = await build_app(settings, bot_kind)
    runner = web.AppRunner(application)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    url = f"ws://127.0.0.1:{port}/ws/media"
    out: list[dict[str, float]] = []
    import aiohttp

    try:
        async with aiohttp.ClientSession() as http:
            for i in range(runs + 1):  # the first run warms the bot and is not counted
                call = await open_call(http, url, "+14255550100", "en-US")
                await call.listen_until_quiet(quiet_s=0.8, timeout_s=30)
                phrase = PHRASES[i % len(PHRASES)]
                await call.say(make_speech_pcm(phrase, "en-US", noise_db=-60))
                await call.listen_until_quiet(quiet_s=0.8, timeout_s=30)
                await call.hang_up()
                timing = call.result.server_timings[-1] if call.result.server_timings else {}
                client = call.result.timings().get("utterance1_voice_to_voice_ms", -1.0)
                heard = call.result.caller_text[-1] if call.result.caller_text else ""
                if i and timing:
                    out.append({**timing, "caller_ms": client})
                warm = " (warm-up)" if not i else ""
                print(f"run {i}{warm}: {phrase!r} -> {heard!r} caller {client} ms {timing}")
    finally:
        await runner.cleanup()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bot", choices=("app", "echo"), default="app")
    parser.add_argument("--runs", type=int, default=32)
    parser.add_argument("--end-silence-ms", type=int, default=VoiceSettings().end_silence_ms)
    parser.add_argument("--early-final-ms", type=int, default=VoiceSettings().early_final_ms)
    parser.add_argument(
        "--complete-turn-silence-ms", type=int, default=VoiceSettings().complete_turn_silence_ms
    )
    args = parser.parse_args()
    voice = VoiceSettings(
        end_silence_ms=args.end_silence_ms,
        early_final_ms=args.early_final_ms,
        complete_turn_silence_ms=args.complete_turn_silence_ms,
    )
    results = asyncio.run(run(args.bot, args.runs, voice))
    if not results:
        print("no measurements")
        return
    print(
        f"\nbot={args.bot}, runs={len(results)}, end_silence={voice.end_silence_ms} ms, "
        f"early_final={voice.early_final_ms} ms, complete_turn_silence={voice.complete_turn_silence_ms} ms, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(f"{'stage':<22}{'p50 ms':>10}{'p95 ms':>10}")
    for key in (*KEYS, "caller_ms"):
        values = [r[key] for r in results if r.get(key, -1) >= 0]
        if values:
            print(f"{key:<22}{statistics.median(values):>10.0f}{percentile(values, 0.95):>10.0f}")
    print("target (caller_ms): p50 <= 500 ms, p95 <= 800 ms")


if __name__ == "__main__":
    main()
