"""The real aiohttp app over the Bot Framework protocol, as the Emulator speaks it (replies arrive at
a local serviceUrl), plus bad input that must get a clear 4xx while the server keeps serving."""

from __future__ import annotations

import asyncio
import json
import sys

import aiohttp
import pytest
from pydantic import SecretStr

from adapters.emulator import texts
from config import PROJECT_ROOT
from tests.support.bot_harness import running_bot
from tests.support.leaks import reveals
from tests.support.log_capture import captured_spans, record_activity_telemetry


@pytest.fixture
async def bot(bot_settings, trained_recognizer):
    async with running_bot(bot_settings, trained_recognizer) as (channel, services):
        yield channel, services


async def test_known_caller_is_greeted_by_first_name_only_until_the_pin(bot):
    channel, _ = bot
    call, greeting = await channel.start_call("+14255550100")
    spoken = texts(greeting)
    assert len(spoken) == 1
    assert spoken[0].startswith("Hi Carlos,")
    # Caller ID can be spoofed: no surname, no open ticket, nothing else before the PIN.
    assert "Rivera" not in spoken[0] and "open query" not in spoken[0] and "card delivery" not in spoken[0]
    await channel.say(call, "what is my checking balance")
    after_pin = " ".join(texts(await channel.say(call, "1234")))
    assert "open query since" in after_pin and "card delivery delay" in after_pin
    message = next(r for r in greeting if r["type"] == "message")
    assert message["inputHint"] == "expectingInput"
    assert "<voice name='en-US-JennyNeural'>" in message["speak"] and "xml:lang='en-US'" in message["speak"]


async def test_balance_after_pin_over_http(bot):
    channel, _ = bot
    call, _ = await channel.start_call("+14255550100")
    assert "PIN" in " ".join(texts(await channel.say(call, "what is my checking balance")))
    reply = " ".join(texts(await channel.say(call, "1 2 3 4")))
    assert "310 dollars and 75 cents" in reply


async def test_block_card_with_confirmation_over_http(bot):
    channel, _ = bot
    call, _ = await channel.start_call("+14255550100")
    await channel.say(call, "I need to block my debit card")
    confirm = " ".join(texts(await channel.press(call, "1234")))
    assert "debit card ending in 7 7 8 2" in confirm and "yes or no" in confirm
    done = " ".join(texts(await channel.say(call, "yes please")))
    assert "is now blocked" in done


async def test_spanish_caller_gets_spanish_voice_and_prompts(bot):
    channel, _ = bot
    call, greeting = await channel.start_call("+5215555550101", locale="es-MX")
    assert texts(greeting)[0].startswith("Hola María")
    message = next(r for r in greeting if r["type"] == "message")
    assert "es-MX-DaliaNeural" in message["speak"]
    await channel.say(call, "quiero saber mi saldo de ahorros")
    assert "15,200 pesos" in " ".join(texts(await channel.say(call, "cuatro tres dos uno")))


async def test_caller_hang_up_records_the_outcome(bot):
    channel, services = bot
    call, _ = await channel.start_call("+14255550100")
    await channel.say(call, "what's my balance")
    assert await channel.hang_up(call) == []
    assert await channel.say(call, "hello?") == []  # the call is over: nothing more is said
    record = await services.handoff.store.get_call(call.conversation_id)
    assert record is not None and record.outcome == "abandoned"  # hung up while asked for the PIN
    assert "CheckBalance" in record.intents


async def test_transfer_failure_apologises_and_offers_callback(bot):
    channel, _ = bot
    call, _ = await channel.start_call("+14255550100")
    replies = await channel.say(call, "I want to speak to an agent")
    handoff = next(r for r in replies if r["type"] == "event")
    assert handoff["name"] == "handoff.initiate"
    assert handoff["value"]["TargetPhoneNumber"].startswith("+")
    assert handoff["attachments"][0]["name"] == "Transcript"
    after = texts(await channel.event(call, "handoff.status", {"state": "failed", "message": "busy"}))
    assert "call you back" in after[0]


# ---- bad input -------------------------------------------------------------------------------


def _valid_activity(service_url: str) -> dict:
    return {
        "type": "message",
        "text": "hi",
        "channelId": "emulator",
        "serviceUrl": service_url,
        "conversation": {"id": "bad-input"},
        "from": {"id": "+14255550100"},
        "recipient": {"id": "bot"},
    }


async def test_dialog_steps_reach_telemetry_with_the_call_id_and_no_personal_data(bot):
    channel, services = bot
    telemetry = record_activity_telemetry(services.adapter)
    call, _ = await channel.start_call("+14255550100")
    await channel.say(call, "what's my balance")
    await channel.say(call, "1234")
    steps = [
        (args[0], args[1]["DialogId"], args[1].get("StepName", ""), args[1]["call_id"])
        for method, args, _ in telemetry.calls
        if method == "track_event" and args[0].startswith("Waterfall")
    ]
    assert ("WaterfallComplete", "identify_steps", "", call.conversation_id) in steps
    assert (
        "WaterfallStep",
        "balance_steps",
        "CheckBalanceDialog._which_account_step",
        call.conversation_id,
    ) in steps
    assert not reveals(telemetry.text(), "1234")
    assert not reveals(telemetry.text(), "+14255550100")


async def test_each_turn_is_a_span_with_its_stages_and_the_call_id(bot):
    channel, _ = bot
    with captured_spans() as spans:
        call, _ = await channel.start_call("+14255550100")
        await channel.say(call, "what is my checking balance")
        await channel.say(call, "1234")
        await channel.say(call, "I want to speak to an agent")
        await channel.hang_up(call)
    finished = [s for s in spans.get_finished_spans() if s.attributes.get("call_id") == call.conversation_id]
    turns = {s.context.span_id: s for s in finished if s.name == "turn"}
    assert len(turns) >= 5  # greeting, three caller turns, hang-up

    def inside_a_turn(name: str) -> list:
        found = [s for s in finished if s.name == name]
        assert found and all(s.parent and s.parent.span_id in turns for s in found), name
        return found

    recognised = [
        (s.attributes["voicebot.intent"], s.attributes["voicebot.intent_score"])
        for s in inside_a_turn("recognizer")
    ]
    assert any(intent == "CheckBalance" and score >= 0.7 for intent, score in recognised), recognised
    assert any(intent == "TalkToAgent" and score >= 0.7 for intent, score in recognised), recognised
    crm = inside_a_turn("crm")
    assert crm and {s.kind.name for s in crm} == {"CLIENT"}
    assert "verify_pin" in {s.attributes["voicebot.operation"] for s in crm}
    events = {(e.name, tuple(sorted(e.attributes.items()))) for s in turns.values() for e in s.events}
    assert ("escalation", (("reason", "caller_request"),)) in events
    assert ("call_ended", (("outcome", "transferred"),)) in events


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"{not json", "application/json", 400),
        (b"[1, 2, 3]", "application/json", 400),
        (b'{"text": "no type"}', "application/json", 400),
        (b'{"type": "message", "text": "no conversation"}', "application/json", 400),
        (
            b'{"type": "message", "channelId": "emulator", "serviceUrl": "http://127.0.0.1:9",'
            b' "conversation": {"id": "c"}, "recipient": {"id": "bot"}}',
            "application/json",
            400,
        ),
        (b"type=message", "application/x-www-form-urlencoded", 415),
        (b"x" * (1024 * 1024), "application/json", 413),
    ],
    ids=[
        "malformed-json",
        "not-an-object",
        "missing-type",
        "missing-conversation",
        "missing-from",
        "wrong-content-type",
        "one-megabyte",
    ],
)
async def test_bad_requests_get_a_4xx_and_the_server_keeps_serving(bot, body, content_type, status):
    channel, _ = bot
    async with aiohttp.ClientSession() as session:
        async with session.post(
            channel.bot_url, data=body, headers={"Content-Type": content_type}
        ) as response:
            assert response.status == status
            assert "Traceback" not in await response.text()
    _, greeting = await channel.start_call("+14255550100")
    assert texts(greeting)[0].startswith("Hi Carlos")


async def test_unknown_activity_type_is_accepted_silently(bot):
    channel, _ = bot
    call, _ = await channel.start_call("+14255550100")
    replies = await channel.post(call, {**channel._activity(call, type="commandResult", name="x")})
    assert texts(replies) == []
    assert "PIN" in " ".join(texts(await channel.say(call, "what's my balance")))


async def test_wrong_auth_is_401_when_an_app_id_is_configured(bot_settings, trained_recognizer):
    settings = bot_settings.model_copy(update={"app_id": "00000000-0000-0000-0000-000000000001"})
    async with running_bot(settings, trained_recognizer) as (channel, _):
        async with aiohttp.ClientSession() as session:
            for headers in ({}, {"Authorization": "Bearer forged.token.value"}):
                async with session.post(
                    channel.bot_url,
                    data=json.dumps(_valid_activity(channel.service_url)),
                    headers={"Content-Type": "application/json", **headers},
                ) as response:
                    assert response.status == 401


async def test_health_and_readiness(bot):
    channel, _ = bot
    base = channel.bot_url.rsplit("/api/", 1)[0]
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{base}/healthz") as response:
            assert response.status == 200
        async with session.get(f"{base}/readyz") as response:
            assert response.status == 200
            assert (await response.json())["checks"]["crm"] is True


async def test_concurrent_calls_do_not_mix_conversations(bot):
    channel, _ = bot
    (carlos, _), (maria, _) = await asyncio.gather(
        channel.start_call("+14255550100"), channel.start_call("+5215555550101", locale="es-MX")
    )
    english, spanish = await asyncio.gather(
        channel.say(carlos, "what's my savings balance"), channel.say(maria, "cuál es mi saldo de ahorros")
    )
    assert "PIN" in " ".join(texts(english)) and "NIP" in " ".join(texts(spanish))


async def test_cli_chat_talks_to_the_running_bot(bot):
    channel, _ = bot
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "cli.py",
        "chat",
        "--url",
        channel.bot_url,
        "--from",
        "+14255550100",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=str(PROJECT_ROOT),
    )
    out, err = await asyncio.wait_for(
        process.communicate(b"what's my savings balance\n#1234\n/bye\n"), timeout=120
    )
    transcript = out.decode()
    assert process.returncode == 0, err.decode()
    assert "bot> Hi Carlos" in transcript
    assert "1,250 dollars and 40 cents" in transcript


async def test_every_customer_data_access_in_a_call_is_audited_without_values(bot):
    channel, services = bot
    call, _ = await channel.start_call("+14255550100")
    await channel.say(call, "what is my savings balance")
    await channel.say(call, "1234")
    entries = await services.audit.query("C1001")
    mine = [e for e in entries if e.conversation_id == call.conversation_id]
    intents = {e.intent for e in mine}
    assert {"CallStart", "CheckBalance"} <= intents
    read = {(e.intent, e.category.value, e.operation.value) for e in mine}
    assert ("CheckBalance", "accounts", "read") in read
    assert ("IdentifyCaller", "authentication", "verify") in read
    flat = json.dumps([e.to_dict() for e in mine])
    assert not any(reveals(flat, value) for value in ("1250.40", "1,250", "1234"))


async def test_goodbye_from_the_bot_records_a_contained_call_once(bot):
    channel, services = bot
    call, _ = await channel.start_call("+14255550100")
    await channel.say(call, "what is my savings balance")
    await channel.say(call, "1234")
    replies = await channel.say(call, "no thanks, goodbye")
    assert any(r["type"] == "endOfConversation" for r in replies)
    await channel.hang_up(call)  # the channel confirms the hang-up: not counted twice
    record = await services.handoff.store.get_call(call.conversation_id)
    assert record is not None and record.outcome == "contained"
    assert services.metrics.snapshot()["counters"]["calls_ended"] == {"outcome=contained": 1.0}


async def test_metrics_report_turn_recognizer_crm_and_retrieval_latency(bot_settings, trained_recognizer):
    bot_settings.handoff.console_password = SecretStr("metrics-reader-password")  # /metrics needs sign-in
    async with running_bot(bot_settings, trained_recognizer) as (channel, _):
        await _check_stage_latencies(channel)


async def _check_stage_latencies(channel) -> None:
    call, _ = await channel.start_call("+14255550100")
    await channel.say(call, "what are your branch opening hours on saturday")
    await channel.say(call, "what is my checking balance")
    await channel.say(call, "1234")
    base = channel.bot_url.rsplit("/api/", 1)[0]
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:  # 127.0.0.1
        await session.post(
            f"{base}/agent/login", data={"username": "agent", "password": "metrics-reader-password"}
        )
        async with session.get(f"{base}/metrics") as response:
            latency = (await response.json())["histograms"]["latency_ms"]
    for stage in ("turn", "recognizer", "crm", "retrieval", "llm"):
        assert latency[f"stage={stage}"]["count"] >= 1, stage


async def test_hang_up_right_after_the_greeting_is_clean(bot):
    channel, services = bot
    call, _ = await channel.start_call("+14255550100")
    assert await channel.hang_up(call) == []  # no apology: nothing went wrong
    record = await services.handoff.store.get_call(call.conversation_id)
    assert record is not None and record.outcome == "contained"
