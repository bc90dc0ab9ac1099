"""A scripted call speaks a card number, a PIN, a phone number, an e-mail and a CURP, then asks for an
agent: none of them reaches the logs, the state file, the audit trail, the handoff record, telemetry
or the replies; no configured secret reaches the logs."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import aiohttp
import pytest

from adapters.emulator import texts
from services.audit.factory import audit_db_path
from services.handoff.store import call_key
from tests.support.bot_harness import make_test_settings, running_bot
from tests.support.log_capture import (
    captured_json_logs,
    captured_spans,
    record_activity_telemetry,
    spans_text,
)

CALLER = "+14255550100"
CONSOLE_USER = "agent"
SECRETS = {
    "handoff": {"console_password": "fake-console-pass-Q7vR2m"},
    "clu": {"key": "fake-clu-key-5d41402abc4b2a76"},
    "azure_openai": {"key": "fake-aoai-key-7e2b9f0c1a"},
    "azure_search": {"key": "fake-search-key-c0ffee11"},
    "azure_speech": {"key": "fake-speech-key-deadbeef"},
    "cosmos": {"key": "fake-cosmos-key-8badf00d"},
    "crm_http": {"subscription_key": "fake-apim-key-feedface"},
    "acs": {"event_grid_secret": "fake-eventgrid-secret-9a8b7c"},
}
SECRET_VALUES = [value for section in SECRETS.values() for value in section.values()]

# What the caller says, and the values that must never be written (each as the caller said it and
# in the other forms a program could turn it into).
UTTERANCES = [
    "what is my savings balance",
    "one two three four",  # the answer to the PIN prompt: no word around it says it is a PIN
    "my card number is 4111 1111 1111 1111",
    "my PIN is 1234 and I want to change it",
    "my phone number is 415 555 0142",
    "my email is carlos.rivera@example.com",
    "mi CURP es GORC850101HDFNVR09",
    "I want to speak to an agent",
]
PERSONAL = [
    "4111 1111 1111 1111",
    "4111111111111111",
    "4111-1111-1111-1111",
    "one two three four",
    "415 555 0142",
    "4155550142",
    "415-555-0142",
    "carlos.rivera@example.com",
    "GORC850101HDFNVR09",
]
# The calling number: the CRM is looked up by it at call start; after that only a keyed pseudonym and the
# last four digits are kept. Replies are addressed to it (the channel's recipient id) and the CRM's own
# database holds it, by design; nothing else may.
CALLER_FORMS = [CALLER, CALLER.removeprefix("+1")]
ADDRESSED_TO_CALLER = ("replies", "handoff event", "crm.sqlite3")
# A bare "1234" may appear inside ids and timestamps; only a standalone 1234 is the PIN.
PIN_ALONE = re.compile(r"(?<![0-9A-Za-z])1\s?2\s?3\s?4(?![0-9A-Za-z])")


def leaks(where: str, text: str) -> list[str]:
    values = PERSONAL if where in ADDRESSED_TO_CALLER else PERSONAL + CALLER_FORMS
    found = [f"{where}: {value!r}" for value in values if value.lower() in text.lower()]
    for m in PIN_ALONE.finditer(text):
        found.append(f"{where}: PIN in …{text[max(0, m.start() - 40) : m.end() + 40]!r}…")
    return found


def sqlite_dump(path: Path) -> str:
    """Every row of every table (and the raw bytes, for anything a dump would miss: WAL, free pages)."""
    rows = []
    conn = sqlite3.connect(path)
    try:
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'"):
            rows += [json.dumps(row, default=str) for row in conn.execute(f'SELECT * FROM "{table}"')]
    finally:
        conn.close()
    raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    return "\n".join(rows) + "\n" + raw.decode("utf-8", "replace")


@pytest.fixture
def settings(tmp_path, knowledge_index_dir):
    return make_test_settings(
        tmp_path / "data",
        knowledge_index_dir,
        storage="sqlite",
        telemetry={"log_json": True, "log_level": "DEBUG"},
        **SECRETS,
    )


async def console_record(base_url: str, handoff_id: str) -> dict:
    """The handoff record as an agent sees it, through the console's sign-in and API."""
    # The session cookie comes from 127.0.0.1: the default cookie jar drops cookies from IP hosts.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        form = {"username": CONSOLE_USER, "password": SECRETS["handoff"]["console_password"]}
        async with http.post(f"{base_url}/agent/login", data=form, allow_redirects=False) as response:
            assert response.status == 303
        async with http.get(f"{base_url}/agent/handoffs/{handoff_id}") as response:
            assert response.status == 200
            return await response.json()


async def test_spoken_card_pin_phone_email_and_curp_are_written_nowhere(settings, trained_recognizer):
    with captured_json_logs(settings) as logs, captured_spans() as spans:
        async with running_bot(settings, trained_recognizer) as (channel, services):
            telemetry = record_activity_telemetry(services.adapter)
            call, replies = await channel.start_call(CALLER)
            assert texts(replies)[0].startswith("Hi Carlos")
            for utterance in UTTERANCES:
                replies += await channel.say(call, utterance)
            assert "1,250 dollars and 40 cents" in " ".join(texts(replies))  # the spoken PIN was taken
            handoff = next(r for r in replies if r["type"] == "event" and r["name"] == "handoff.initiate")
            replies += await channel.hang_up(call)

            post_call = await services.handoff.store.get_call(call.conversation_id)
            assert post_call is not None and post_call.handoff_id, post_call
            record = (await services.handoff.get(post_call.handoff_id)).model_dump(mode="json")
            base_url = channel.bot_url.rsplit("/api/", 1)[0]
            agent_view = await console_record(base_url, post_call.handoff_id)
            stored_items = await services.storage.read(
                [call_key(call.conversation_id), f"handoff/{post_call.handoff_id}"]
            )
            audit = await services.audit.query("C1001")
        log_text = logs.getvalue()

    # The call really happened and was written down: otherwise "nothing leaked" proves nothing.
    assert '"call_id"' in log_text
    assert len(record["transcript"]) >= len(UTTERANCES), record
    assert audit and telemetry.calls and spans.get_finished_spans()
    data_dir = Path(settings.data_dir)
    state_file = data_dir / "state.sqlite3"
    assert state_file.exists() and audit_db_path(data_dir).exists()

    problems: list[str] = []
    problems += leaks("log", log_text)
    problems += leaks("state file", sqlite_dump(state_file))
    problems += leaks("audit file", sqlite_dump(audit_db_path(data_dir)))
    problems += leaks("audit query", json.dumps([e.to_dict() for e in audit], default=str))
    problems += leaks("handoff record", json.dumps(record))
    problems += leaks("handoff store items", json.dumps(stored_items, default=str))
    problems += leaks("post-call record", post_call.model_dump_json())
    problems += leaks("agent console", json.dumps(agent_view))
    problems += leaks("handoff event", json.dumps(handoff))
    problems += leaks("telemetry client", telemetry.text())
    problems += leaks("spans", spans_text(spans))
    problems += leaks("replies", json.dumps(replies))
    for other in sorted(data_dir.rglob("*")):
        if other.is_file() and not other.name.startswith(("state.sqlite3", "audit.sqlite3")):
            problems += leaks(str(other.relative_to(data_dir)), other.read_bytes().decode("utf-8", "replace"))
    problems += [f"log: secret {s!r}" for s in SECRET_VALUES if s in log_text]
    assert problems == [], "\n".join(problems)


# Issue 11 item 4 / issue 16 item 6: wrong PIN guesses, a card number said as words (which the number
# model turns into "4.53201511283037E+15") and "una" in running speech, on the Redis store.
CARD_WORDS = "four five three two zero one five one one two eight three zero three six six"
CARD_FORMS = ["4532015112830366", "4532 0151 1283 0366", "4.53201511283037E+15", "E+15", CARD_WORDS]
WRONG_GUESSES = ["5678", "8 7 6 5"]


async def test_wrong_pins_and_a_spoken_card_number_reach_neither_redis_nor_the_agent(
    tmp_path, knowledge_index_dir, trained_recognizer, redis_server
):
    import redis

    prefix = "privacy-redis:"
    settings = make_test_settings(
        tmp_path / "data",
        knowledge_index_dir,
        storage="redis",
        redis={"url": redis_server.url, "key_prefix": prefix},
        **SECRETS,
    )
    async with running_bot(settings, trained_recognizer) as (channel, services):
        call, _ = await channel.start_call("+5215555550101", locale="es-MX")
        await channel.say(call, "cuál es mi saldo")
        for guess in WRONG_GUESSES:
            assert "no coincide" in " ".join(texts(await channel.say(call, guess)))
        assert "Qué cuenta" in " ".join(texts(await channel.say(call, "cuatro tres dos uno")))
        await channel.say(call, f"my card number is {CARD_WORDS}")
        replies = await channel.say(call, "quiero hablar con una persona")
        handoff = next(r for r in replies if r["type"] == "event" and r["name"] == "handoff.initiate")
        handoff_id = handoff["value"]["HandoffId"]
        record = (await services.handoff.get(handoff_id)).model_dump(mode="json")
        agent_view = await console_record(channel.bot_url.rsplit("/api/", 1)[0], handoff_id)
        client = redis.Redis.from_url(redis_server.url, decode_responses=True)
        try:
            stored = {key: client.get(key) for key in client.scan_iter(f"{prefix}*")}
        finally:
            client.close()
    assert any(call.conversation_id in key for key in stored), list(stored)  # the call was stored
    caller_said = [t["text"] for t in agent_view["transcript"] if t["speaker"] == "caller"]
    assert "quiero hablar con una persona" in caller_said, caller_said
    assert agent_view["entities"] == {}, agent_view["entities"]  # no "number: 1", no card, no PIN
    problems = []
    for where, text in (
        ("redis", json.dumps(stored, ensure_ascii=False)),
        ("handoff record", json.dumps(record, ensure_ascii=False)),
        ("agent console", json.dumps(agent_view, ensure_ascii=False)),
    ):
        problems += [f"{where}: {v!r}" for v in [*CARD_FORMS, "8 7 6 5", "cuatro tres dos uno"] if v in text]
        # Four digits alone (not inside an id or a timestamp): the wrong guess and María's PIN.
        alone = [v for v in ("5678", "4321") if re.search(rf"(?<![\w:.-]){v}(?![\w:.-])", text)]
        problems += [f"{where}: {v!r}" for v in alone]
    assert problems == [], "\n".join(problems)
