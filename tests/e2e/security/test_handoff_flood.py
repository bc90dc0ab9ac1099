"""Handoff flooding (issue 11, item 10): 50 junk handoffs in 2.5 s pushed a real waiting caller off
/agent/handoffs. Handoffs are limited per caller number and per instance, and the console lists the
callers still waiting first, whatever their age."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from pydantic import SecretStr

from adapters.emulator import EmulatorChannel, texts
from tests.support.bot_harness import running_bot

CONSOLE_PASSWORD = "flood-test-console-password"
ASK_FOR_AGENT = "I want to speak to an agent"
REAL_CALLER = "+14255550100"


def _limits(bot_settings: Any, **security: Any) -> Any:
    bot_settings.handoff.console_password = SecretStr(CONSOLE_PASSWORD)
    for name, value in security.items():
        setattr(bot_settings.security, name, value)
    return bot_settings


async def _ask_for_an_agent(channel: EmulatorChannel, number: str) -> list[dict[str, Any]]:
    call, _ = await channel.start_call(number)
    return await channel.say(call, ASK_FOR_AGENT)


def _transferred(replies: list[dict[str, Any]]) -> bool:
    return any(r.get("type") == "event" and r.get("name") == "handoff.initiate" for r in replies)


def _hung_up(replies: list[dict[str, Any]]) -> bool:
    return any(r.get("type") == "endOfConversation" for r in replies)


async def _console_queue(channel: EmulatorChannel) -> list[dict[str, Any]]:
    base = channel.bot_url.rsplit("/api/", 1)[0]
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        await http.post(f"{base}/agent/login", data={"username": "agent", "password": CONSOLE_PASSWORD})
        async with http.get(f"{base}/agent/handoffs") as response:
            assert response.status == 200
            return list(await response.json())


async def test_a_flood_of_junk_handoffs_never_pushes_a_waiting_caller_off_the_console(
    bot_settings, trained_recognizer
):
    settings = _limits(bot_settings, handoffs_per_instance=1000)  # the ordering alone must hold
    async with running_bot(settings, trained_recognizer) as (channel, _):
        assert _transferred(await _ask_for_an_agent(channel, REAL_CALLER))
        for batch in range(6):  # 60 junk handoffs from 60 numbers, ten at a time
            junk = await asyncio.gather(
                *(_ask_for_an_agent(channel, f"+1206555{batch:02d}{n:02d}") for n in range(10))
            )
            assert all(_transferred(replies) for replies in junk)
        queue = await _console_queue(channel)
    assert len(queue) == 50
    assert queue[0]["caller"]["phone_masked"].endswith("0100")  # waited longest: listed first


async def test_one_number_gets_three_handoffs_then_a_goodbye(bot_settings, trained_recognizer):
    async with running_bot(_limits(bot_settings), trained_recognizer) as (channel, services):
        for _ in range(3):
            assert _transferred(await _ask_for_an_agent(channel, "+14255550177"))
        refused = await _ask_for_an_agent(channel, "+14255550177")
        assert not _transferred(refused) and _hung_up(refused)
        assert any("can't connect you to an agent right now" in text for text in texts(refused))
        assert _transferred(await _ask_for_an_agent(channel, "+14255550178"))  # another caller is served
        assert len(await services.handoff.store.recent_ids()) == 4


async def test_the_instance_stops_opening_handoffs_past_its_limit(bot_settings, trained_recognizer):
    settings = _limits(bot_settings, handoffs_per_instance=5)
    async with running_bot(settings, trained_recognizer) as (channel, _):
        results = [await _ask_for_an_agent(channel, f"+1206555990{n}") for n in range(7)]
    assert [_transferred(replies) for replies in results] == [True] * 5 + [False] * 2
    assert all(_hung_up(replies) for replies in results[5:])
