"""The agent sees what the bot already told the caller: a balance read, the open query of the greeting."""

from __future__ import annotations

import json

from adapters.telephony import HANDOFF_INITIATE
from tests.dialogs.test_identify_caller import CALLER_FOR, joined, redial, services  # noqa: F401
from tests.support.leaks import reveals
from web.agent_words import agent_view


async def test_a_balance_read_and_the_open_query_reach_the_agent_without_the_pin(services) -> None:  # noqa: F811
    phone, pin, _ = CALLER_FOR["en-US"]
    call = redial(services, phone, "en-US")
    await call.say("what's the balance of my savings account")
    said = joined(await call.say(pin))
    assert "1,250 dollars and 40 cents" in said and "card delivery delay" in said
    await call.say("I want to talk to a person")
    record = await services.handoff.get(call.events(HANDOFF_INITIATE)[0].value["HandoffId"])

    view = agent_view(record, "en-US")
    assert view["told"] == ["Read the savings balance: 1,250.40 USD"]
    assert "card delivery delay" in view["ticket"].lower()
    assert view["wanted"] == ["account balance (savings)"]
    assert view["caller"].endswith("Verified by PIN · phone •••0100")
    assert not reveals(json.dumps(record.model_dump(mode="json")["told"]), pin)


async def test_a_card_payment_read_reaches_the_agent(services) -> None:  # noqa: F811
    phone, pin, _ = CALLER_FOR["en-US"]
    call = redial(services, phone, "en-US")
    await call.say("when is my credit card payment due")
    await call.say(pin)
    await call.say("I want to talk to a person")
    record = await services.handoff.get(call.events(HANDOFF_INITIATE)[0].value["HandoffId"])
    told = agent_view(record, "en-US")["told"]
    assert len(told) == 1 and told[0].startswith("Read the card payment: ") and "minimum" in told[0], told
