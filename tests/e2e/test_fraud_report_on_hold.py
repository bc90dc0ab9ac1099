"""A caller waiting for the fraud team, over the Bot Framework protocol (the real app, Emulator-style
channel), in both languages: a side question is answered and the caller reminded the report is with the
team; a new request, another transfer or a goodbye starts nothing (no PIN prompt, no second handoff, no
hang-up), so the fraud report is never lost."""

from __future__ import annotations

from adapters.telephony import HANDOFF_INITIATE
from tests.e2e.test_conversation_understanding import CARLOS, MARIA, Call, bot, dial

__all__ = ["bot"]  # the fixture, imported for this module's tests


class HeldCall:
    """Counts what the whole call sent besides words: transfers and hang-ups."""

    def __init__(self, call: Call) -> None:
        self.call = call
        self.handoffs = 0
        self.hang_ups = 0

    async def say(self, text: str) -> str:
        said = await self.call.say(text)
        self.handoffs += sum(r.get("name") == HANDOFF_INITIATE for r in self.call.replies)
        self.hang_ups += sum(r.get("type") == "endOfConversation" for r in self.call.replies)
        return said


async def test_question_while_waiting_for_the_fraud_team_is_answered_and_the_report_kept(bot) -> None:
    carlos = HeldCall(await dial(bot, CARLOS))
    assert "fraud team" in await carlos.say("someone used my card for charges I don't recognize")
    assert carlos.handoffs == 1

    reply = await carlos.say("how long does a replacement card take to arrive?")
    assert "5 to 7 business days" in reply
    assert "still on the line for our fraud team" in reply and "anything else" not in reply

    reply = await carlos.say("what's my checking balance")
    assert "PIN" not in reply and "fraud team will help you with that" in reply

    assert "I don't have information" in await carlos.say("what's the weather in Seattle?")
    assert "still on the line" in await carlos.say("I want to talk to a person")
    assert "still on the line" in await carlos.say("thanks, bye")
    assert carlos.handoffs == 1 and carlos.hang_ups == 0


async def test_pregunta_mientras_espera_al_equipo_de_fraudes_se_responde_y_el_reporte_sigue(bot) -> None:
    maria = HeldCall(await dial(bot, MARIA, "es-MX"))
    assert "equipo de fraudes" in await maria.say("hay cargos en mi tarjeta que no reconozco")

    reply = await maria.say("¿cuánto tarda en llegar la tarjeta de reemplazo?")
    assert "5 a 7 días hábiles" in reply
    assert "Sigue en línea con nuestro equipo de fraudes" in reply and "algo más" not in reply

    reply = await maria.say("quiero saber mi saldo")
    assert "NIP" not in reply and "le ayudará con eso" in reply

    assert "no cuelgue" in await maria.say("quiero hablar con un asesor")
    assert "no cuelgue" in await maria.say("gracias, adiós")
    assert maria.handoffs == 1 and maria.hang_ups == 0
