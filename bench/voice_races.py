"""Caller speech racing the bot's prompts, over /ws/media in real time: lost utterances and barge-in latency.

1. Reprompt race: after the greeting the caller stays silent and starts a question at offsets within
   ±300 ms of the no-input deadline; an utterance not answered within ``--answer-timeout`` seconds of its
   end is counted lost (the utterance dropped, or answered only after a long reprompt), one answered later
   than ``--late-s`` is counted late (it waited behind a reprompt). With ``--bot app``, "Sorry, could you say
   that again?" counts as a reply (an utterance the bot could not recognise in time, or shed under load);
   how many were re-asked is printed, with the server's split of the wait (endpointing, STT, bot, TTS).
   ``--callers N``: N callers at once, their offsets spread over the same ±300 ms (default 13, every 50 ms);
   the call cap (``VOICE__MAX_CALLS``) is the most callers whose every utterance gets a reply within
   ``--bound-s`` at the 95th percentile.
2. Talking over the greeting: caller onset -> StopAudio received, and end of speech -> reply, for a caller
   speaking while the greeting plays and for one speaking before it has started.

Run: ``python -m bench.voice_races [--bot echo|app] [--rounds 3] [--callers 13]``. ``echo`` is the test
harness's bot with a real bot's turn time and relay engines (measures the pipeline alone); ``app`` is the
real bot on the embedded engines (slow on a busy box: raise ``--answer-timeout``). The app's calls start
once it answers ``/readyz`` 200, as a load balancer's would (before it, the speech models are still
loading and the first turns pay for it); ``--cold`` starts them at once, to see what callers of a cold bot
get.
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


def offsets(callers: int) -> list[float]:
    """``callers`` start times spread evenly over -300..+300 ms of the no-input deadline (13: every 50 ms)."""
    if callers == 1:
        return [0.0]
    return [round(-0.3 + 0.6 * i / (callers - 1), 3) for i in range(callers)]


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

    spread = offsets(args.callers)
    voice = VoiceSettings(no_input_seconds=args.no_input_seconds, max_softphone_calls=2 * len(spread))
    runner, url, answer = await build(args.bot, voice)
    replies: str | tuple[str, ...] = answer
    if args.bot == "app":
        from adapters.acs.call_bridge import SAY_AGAIN_PROMPT
        from locales.catalogue import Catalogue

        replies = (answer, Catalogue.load().text("en-US", SAY_AGAIN_PROMPT))
    if args.bot == "app" and not args.cold:
        print(f"/readyz 200 after {await wait_ready(url):.1f} s", flush=True)
    text = "I lost my credit card" if args.bot == "app" else "what is my balance"
    speech = make_speech_pcm(text, "en-US", trim=True, noise_db=-60)
    out: dict[str, Any] = {"race": [], "over": [], "before": [], "replies": replies, "answer": answer}
    try:
        for _ in range(args.rounds):
            out["race"] += await asyncio.gather(
                *(
                    speak_near_reprompt(url, speech, args.no_input_seconds, o, replies, args.answer_timeout)
                    for o in spread
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
    parser.add_argument("--callers", type=int, default=13, help="callers speaking at once in the race")
    parser.add_argument("--bound-s", type=float, default=3.0, help="speech end -> reply bound (p95)")
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
        f"\nbot={args.bot}, no_input={args.no_input_seconds} s, {args.callers} callers at offsets "
        f"-300..+300 ms, rounds={args.rounds}, {when}, load average {os.getloadavg()[0]:.1f}"
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
    waits = [r.speech_end_to_answer_s for r in race]
    within = [w for w in waits if w is not None and w <= args.bound_s]
    first = [next((x for x in r.replies[1:] if x.startswith(out["replies"])), "") for r in race]
    asked_again = [x for x in first if x and not x.startswith(out["answer"])]
    print(f"replies within {args.bound_s} s of speech end: {len(within)}/{len(race)}", end="")
    print(f" (of the replies, asked to say it again: {len(asked_again)})")
    print(f"{'measure':<44}{'p50 ms':>8}{'p95 ms':>8}{'count':>10}")
    print(row("reprompt race: speech end -> reply", waits, len(race)))
    split = [t for r in race for t in (r.server_timings or [])[-1:]]
    for key in ("endpointing_ms", "stt_ms", "bot_ms", "tts_first_frame_ms"):
        got = [t[key] / 1000 for t in split if t.get(key, -1) >= 0]
        print(row(f"  server: {key.removesuffix('_ms')}", list(got), len(race)))
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
