"""PIN brute force across redialled calls (issue 11, item 1), over the Bot Framework protocol: an attacker
calling as Carlos guesses, hangs up and redials. Five wrong PINs lock verification for 30 minutes, on one
instance and on two instances sharing one Redis, also when the guesses arrive in parallel."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import pytest

from adapters.emulator import EmulatedCall, EmulatorChannel, texts
from app import Services
from tests.support.bot_harness import make_test_settings, running_bot
from tests.support.leaks import reveals
from tests.support.log_capture import captured_json_logs
from tests.support.servers import RunningServer

CARLOS, CARLOS_PIN, CARLOS_ID = "+14255550100", "1234", "C1001"
LOCKED = "PIN verification is locked"
WRONG = "doesn't match"
ASK_PIN = "key in your 4-digit PIN"
MAX_FAILURES = 5  # PIN_LOCKOUT__MAX_FAILURES default
GUESSES = [f"{n:04d}" for n in range(1, 40) if f"{n:04d}" != CARLOS_PIN]


async def pin_checks(services: list[Services]) -> int:
    """How many PINs the bot actually checked against the CRM (its audit trail, all instances)."""
    entries = [e for s in services for e in await s.audit.query(CARLOS_ID)]
    return sum(1 for e in entries if e.detail == "verify_pin")


async def attack(channels: list[EmulatorChannel], calls: int) -> list[str]:
    """Redial ``calls`` times (alternating instances), guessing until the bot stops asking."""
    heard: list[str] = []
    guesses = iter(GUESSES)
    for n in range(calls):
        channel = channels[n % len(channels)]
        call, _ = await channel.start_call(CARLOS)
        said = " ".join(texts(await channel.say(call, "what is my balance")))
        while ASK_PIN in said:
            said = " ".join(texts(await channel.say(call, next(guesses))))
            heard.append(said)
        heard.append(said)
        await channel.hang_up(call)
    return heard


@pytest.fixture
async def one_bot(tmp_path, knowledge_index_dir, trained_recognizer) -> AsyncIterator[tuple]:
    settings = make_test_settings(tmp_path / "data", knowledge_index_dir, storage="sqlite")
    with captured_json_logs(settings) as logs:
        async with running_bot(settings, trained_recognizer) as (channel, services):
            yield [channel], [services], logs


@pytest.fixture
async def two_bots_on_redis(
    tmp_path, knowledge_index_dir, trained_recognizer, redis_server: RunningServer
) -> AsyncIterator[tuple]:
    """Two app instances (each its own Redis connections, audit trail and handoff service) on one Redis."""
    prefix = f"brute{uuid.uuid4().hex[:6]}:"
    redis = {"url": redis_server.url, "key_prefix": prefix}
    async with AsyncExitStack() as stack:
        bots = []
        for name in ("a", "b"):
            settings = make_test_settings(tmp_path / name, knowledge_index_dir, storage="redis", redis=redis)
            bots.append(await stack.enter_async_context(running_bot(settings, trained_recognizer)))
        yield [channel for channel, _ in bots], [services for _, services in bots], None


async def test_redialling_attacker_gets_five_guesses_then_the_lock(one_bot) -> None:
    channels, services, logs = one_bot
    heard = await attack(channels, calls=6)
    assert await pin_checks(services) == MAX_FAILURES, heard
    assert sum(LOCKED in said for said in heard) >= 4, heard  # the 5th guess, then every redial
    # Even the right PIN is not checked while locked.
    call, _ = await channels[0].start_call(CARLOS)
    said = " ".join(texts(await channels[0].say(call, "what is my balance")))
    assert LOCKED in said and ASK_PIN not in said
    assert "dollars" not in " ".join(texts(await channels[0].say(call, CARLOS_PIN)))
    assert await pin_checks(services) == MAX_FAILURES

    lock_audit = [e for e in await services[0].audit.query(CARLOS_ID) if e.outcome == "locked"]
    assert len(lock_audit) == 1 and lock_audit[0].detail == "pin_lockout:customer"
    events = [line for line in logs.getvalue().splitlines() if '"PinLockout"' in line]
    assert len(events) == 1, logs.getvalue()[-2000:]
    assert not any(reveals(events[0], value) for value in (CARLOS_PIN, "5550100", CARLOS_ID))
    assert not any(guess in events[0] for guess in GUESSES[:MAX_FAILURES])


async def test_two_instances_sharing_redis_share_one_counter(two_bots_on_redis) -> None:
    channels, services, _ = two_bots_on_redis
    heard = await attack(channels, calls=6)  # calls alternate between instance a and b
    assert await pin_checks(services) == MAX_FAILURES, heard
    for channel in channels:
        call, _ = await channel.start_call(CARLOS)
        assert LOCKED in " ".join(texts(await channel.say(call, "what is my balance")))


async def test_parallel_calls_on_two_instances_cannot_outrun_the_counter(two_bots_on_redis) -> None:
    channels, services, _ = two_bots_on_redis
    calls: list[tuple[EmulatorChannel, EmulatedCall]] = []
    for n in range(12):
        channel = channels[n % 2]
        call, _ = await channel.start_call(CARLOS)
        await channel.say(call, "what is my balance")
        calls.append((channel, call))
    # Twelve guesses land at once, six on each instance.
    await asyncio.gather(*(channel.say(call, GUESSES[n]) for n, (channel, call) in enumerate(calls)))
    assert await pin_checks(services) == MAX_FAILURES
