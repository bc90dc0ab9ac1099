"""`python cli.py chat`: talk to the running bot from a terminal over the real Bot Framework protocol."""

from __future__ import annotations

import argparse
import asyncio
import sys

from adapters.emulator import EmulatorChannel, texts
from adapters.streaming_client import StreamingChannel
from locales import languages


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("chat", help="a terminal conversation with the running bot")
    parser.add_argument(
        "--url", default="http://localhost:3978/api/messages", help="the bot's messaging endpoint"
    )
    parser.add_argument(
        "--lang", choices=languages.codes(), default=languages.codes()[0], help="the caller's language"
    )
    parser.add_argument("--from", dest="caller", default="+14255550100", help="caller number (E.164)")
    parser.add_argument(
        "--streaming",
        action="store_true",
        help="talk as the telephony channel does: Bot Framework streaming over one WebSocket to the same URL",
    )
    parser.set_defaults(
        func=lambda args: asyncio.run(
            chat(args.url, languages.locale_of(args.lang), args.caller, args.streaming)
        )
    )


def _show(replies: list[dict]) -> None:
    for line in texts(replies):
        print(f"bot> {line}", flush=True)
    for reply in replies:
        if reply.get("type") == "event":
            print(f"bot> [{reply.get('name')}] {reply.get('value')}", flush=True)
        elif reply.get("type") == "endOfConversation":
            print("bot> [call ended]", flush=True)


async def chat(url: str, locale: str, caller: str, streaming: bool = False) -> int:
    """Type what the caller says; '#1234' sends key presses, '/bye' hangs up."""
    transport = "a streaming WebSocket" if streaming else "HTTP"
    print(f"Calling {url} as {caller} ({locale}) over {transport}.")
    print("Type '#1234' for keypad digits, '/bye' to hang up.")
    channel = StreamingChannel(url) if streaming else EmulatorChannel(url)
    async with channel:
        call, greeting = await channel.start_call(caller, locale)
        _show(greeting)
        loop = asyncio.get_running_loop()
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                break
            line = line.strip()
            if not line:
                continue
            if line == "/bye":
                await channel.hang_up(call)
                break
            replies = await (
                channel.press(call, line[1:]) if line.startswith("#") else channel.say(call, line)
            )
            _show(replies)
            if any(r.get("type") == "endOfConversation" for r in replies):
                break
    return 0
