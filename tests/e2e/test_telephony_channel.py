"""Recorded Azure Bot Service telephony-channel activities replayed against the real app over HTTP.

The channel puts the caller's number in ``from.name`` (``from.id`` is opaque), sends one message per
key press with a DTMF entity, reports a failed transfer as a ``handoff.status`` event, answers
recording commands with ``commandResult`` and ends the call with ``endOfConversation``.
"""

from __future__ import annotations

import json
import re

from adapters.emulator import EmulatedCall, texts
from config import PROJECT_ROOT
from tests.support.bot_harness import running_bot

RECORDING = PROJECT_ROOT / "tests" / "data" / "telephony" / "call_block_card.jsonl"


async def test_recorded_telephony_call_blocks_card_transfers_and_survives_a_failed_transfer(
    bot_settings, trained_recognizer
):
    activities = [json.loads(line) for line in RECORDING.read_text().splitlines()]
    async with running_bot(bot_settings, trained_recognizer) as (channel, _):
        call = EmulatedCall("telephony-recorded-call", caller="+14255550100", locale="en-US")
        channel._calls[call.conversation_id] = call
        answers = []
        for index, recorded in enumerate(activities):
            activity = {
                **recorded, "id": f"act-{index}", "serviceUrl": channel.service_url,
                "conversation": {"id": call.conversation_id}, "timestamp": "2026-11-24T10:00:00.000Z",
            }  # fmt: skip
            answers.append(await channel.post(call, activity))

    greeting, lost_card, *keys = answers[:6]
    assert texts(greeting)[0].startswith("Hi Carlos")  # the number came from from.name
    assert "PIN" in texts(lost_card)[0]
    assert [texts(k) for k in keys[:3]] == [[], [], []]  # keys are gathered until the fourth
    assert "credit card ending in 9 0 3 1" in " ".join(texts(keys[3]))
    assert re.search(r"reference number is B L K( \d){6}", " ".join(texts(answers[6])))

    transfer = next(a for a in answers[7] if a["type"] == "event")
    assert transfer["name"] == "handoff.initiate"
    assert re.fullmatch(r"\+\d{8,15}", transfer["value"]["TargetPhoneNumber"])  # E.164, no dashes
    assert transfer["attachments"][0]["contentType"] == "application/json"
    assert transfer["attachments"][0]["content"]["handoffId"] == transfer["value"]["HandoffId"]
    final_words = next(a for a in answers[7] if a["type"] == "message")
    assert final_words["inputHint"] == "ignoringInput"
    assert "<speak version='1.0'" in final_words["speak"]

    assert "call you back" in " ".join(texts(answers[8]))  # handoff.status failed
    assert texts(answers[9]) == []  # commandResult: nothing said, nothing broken
    assert texts(answers[10]) == []  # endOfConversation: the call is over
