"""The CRM behind API Management unreachable (a closed port): it has no embedded twin, so the caller hears
a greeting, then, when customer data is needed, an apology and a transfer to an agent - never a loop."""

from __future__ import annotations

import socket

from adapters.emulator import texts
from config import CrmBackend, CrmHttpSettings
from tests.support.bot_harness import running_bot


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


async def test_crm_down_the_caller_is_greeted_then_apologised_to_and_transferred(
    bot_settings, trained_recognizer
) -> None:
    settings = bot_settings.model_copy(
        update={
            "crm": CrmBackend.HTTP,
            "crm_http": CrmHttpSettings(base_url=closed_port_url(), max_retries=0),
        }
    )
    async with running_bot(settings, trained_recognizer) as (channel, _services):
        call, greeting = await channel.start_call("+14255550100")
        said = " ".join(texts(greeting))
        assert said and "went wrong" not in said  # the generic greeting: the CRM could not say who calls

        replies = await channel.say(call, "what is my checking balance")
        heard = " ".join(texts(replies))
        if "PIN" in heard or "customer number" in heard.lower():  # identification first, then the data
            replies = await channel.say(call, "1 2 3 4")
            heard = " ".join(texts(replies))
        assert "can't reach our systems" in heard and "agent" in heard
        assert any(r["type"] == "event" and r["name"] == "handoff.initiate" for r in replies)
        assert "went wrong" not in heard
