"""Caller speech racing the bot's prompts, over /ws/media in real time: lost utterances and barge-in latency.

1. Reprompt race: after the greeting the caller stays silent and starts a question at offsets within
   ±300 ms of the no-input deadline; an utterance not answered within ``--answer-timeout`` seconds of its
   end is counted lost (the utterance dropped, or answered only after a long reprompt), one answered later
   than ``--late-s`` is counted late (it waited behind a reprompt).
2. Talking over the greeting: caller onset -> StopAudio received, and end of speech -> reply, for a caller
   speaking while the greeting plays and for one speaking before it has started.

Run: ``python -m bench.voice_races [--bot echo|app] [--rounds 3]``. ``echo`` is the test harness's bot
with a real bot's turn time and relay engines (measures the pipeline alone); ``app`` is the real bot on
the embedded engines (slow on a busy box: raise ``--answer-timeout``). The app's calls start once it
answers ``/readyz`` 200, as a load balancer's would (before it, the speech models are still loading and
the first turns pay for it); ``--cold`` starts them at once, to see what callers of a cold bot get.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bench.stats import percentile
from config import Settings
from voice.settings import VoiceSettings

GREETING = "Welcome to Contoso Bank. How can I help you today?"
OFFSETS = [i / 20 for i in range(-6, 7)]


async def build(bot_kind: str, voice: VoiceSettings) -> tuple[web.AppRunner, str, str]:
    """A served app; its media URL and the prefix of an answer to the caller's question."""
    settings = Settings(data_dir=Path(tempfile.mkdtemp(prefix="voice-races-")))
    object.__setattr__(settings, "voice", voice)
    if bot_kind == "app":
        from bench.voice_latency import build_app

        application, answer = await build_app(settings, "app"), "To find your account"
    else:
        from tests.support.voice_relay import RelaySpeechToText, RelayTextToSpeech
        from tests.voice.harness import make_app
        from tests.voice.test_talk_over import SlowBot

        stt, tts = RelaySpeechToText("what is my balance"), RelayTextToSpeech()
        application, answer = make_app(settings, SlowBot(GREETING), stt, tts), "You said"
    runner = web.AppRunner(application)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"ws://127.0.0.1:{port}/ws/media", answer


async def wait_ready(url: str, timeout_s: float = 300.0) -> float:
    """Seconds until the app answers /readyz 200 (speech models loaded, fixed prompts rendered)."""
    ready_url = url.replace("ws://", "http://").replace("/ws/media", "/readyz")
    started = time.monotonic()
    async with aiohttp.ClientSession() as http:
        while time.monotonic() - started < timeout_s:
            async with http.get(ready_url) as response:
                if response.status == 200:
                    return time.monotonic() - started
            await asyncio.sleep(0.2)
    raise TimeoutError(f"/readyz not 200 after {timeout_s:.0f} s")


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from tests.support.speech_fixtures import make_speech_pcm
    from tests.voice.scenarios import speak_near_reprompt, talk_over_greeting

    voice = VoiceSettings(no_input_seconds=args.no_input_seconds, max_softphone_calls=2 * len(OFFSETS))
    runner, url, answer = await build(args.bot, voice)
    if args.bot == "app" and not args.cold:
        print(f"/readyz 200 after {await wait_ready(url):.1f} s", flush=True)
    text = "I lost my credit card" if args.bot == "app" else "what is my balance"
    speech = make_speech_pcm(text, "en-US", trim=True, noise_db=-60)
    out: dict[str, Any] = {"race": [], "over": [], "before": []}
    try:
        for _ in range(args.rounds):
            out["race"] += await asyncio.gather(
                *(
                    speak_near_reprompt(url, speech, args.no_input_seconds, o, answer, args.answer_timeout)
                    for o in OFFSETS
                )
            )
            out["over"].append(await talk_over_greeting(url, speech, 1.0, answer, args.answer_timeout))
            out["before"].append(await talk_over_greeting(url, speech, 0.0, answer, args.answer_timeout))
    finally:
        await runner.cleanup()
    return out


def row(name: str, values: list[float | None], total: int) -> str:
    got = [v * 1000 for v in values if v is not None]
    if not got:
        return f"{name:<44}{'-':>8}{'-':>8}{f'0/{total}':>10}"
    return f"{name:<44}{statistics.median(got):>8.0f}{percentile(got, 0.95):>8.0f}{f'{len(got)}/{total}':>10}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bot", choices=("echo", "app"), default="echo")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cold", action="store_true", help="--bot app: call before /readyz answers 200")
    parser.add_argument("--no-input-seconds", type=float, default=1.0)
    parser.add_argument("--answer-timeout", type=float, default=6.0)
    parser.add_argument(
        "--late-s", type=float, default=2.5, help="an answer later than this came behind a prompt"
    )
    args = parser.parse_args()
    out = asyncio.run(run(args))
    race, over, before = out["race"], out["over"], out["before"]
    lost = [r for r in race if not r.answered]
    when = "cold" if args.cold or args.bot == "echo" else "after /readyz"
    unheard = [r for r in race if not r.greeted]
    print(
        f"\nbot={args.bot}, no_input={args.no_input_seconds} s, offsets -300..+300 ms step 50, "
        f"rounds={args.rounds}, {when}, load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"callers who heard no whole greeting in 10 s (never spoke, counted lost): {len(unheard)}/{len(race)}"
    )
    print(f"lost utterances around the reprompt deadline: {len(lost)}/{len(race)}", end="")
    print(f" (offsets {sorted({r.offset_s for r in lost})})" if lost else "")
    late = [
        r for r in race if r.speech_end_to_answer_s is not None and r.speech_end_to_answer_s > args.late_s
    ]
    print(f"answered only after a {args.late_s} s wait (queued behind a reprompt): {len(late)}/{len(race)}")
    print(f"{'measure':<44}{'p50 ms':>8}{'p95 ms':>8}{'count':>10}")
    print(row("reprompt race: speech end -> answer", [r.speech_end_to_answer_s for r in race], len(race)))
    print(row("over the greeting: onset -> StopAudio", [o.onset_to_stop_s for o in over], len(over)))
    print(row("over the greeting: speech end -> reply", [o.speech_end_to_reply_s for o in over], len(over)))
    print(row("before the greeting: onset -> StopAudio", [o.onset_to_stop_s for o in before], len(before)))
    print(
        row(
            "before the greeting: speech end -> reply", [o.speech_end_to_reply_s for o in before], len(before)
        )
    )


if __name__ == "__main__":
    main()
