"""Over the Bot Framework protocol, both languages: a question about how something works or why ("how is
the minimum payment on my card calculated", "si bloqueo mi tarjeta …") that the recognizer takes,
confidently, for a customer-data action is not run: the caller hears the confirmation question or a
document answer, never the PIN prompt that starts the action, even when the words name the caller's own
data (recognizers/own_data.py HOW_IT_WORKS_CUES, dialogs/arbitration.py). A plain request for the same
data still runs at once."""

from __future__ import annotations

import pytest

from adapters.emulator import EmulatorChannel, texts
from tests.support.bot_harness import running_bot
from tests.support.scripted_recognizer import ScriptedRecognizer

CARLOS, MARIA = "+14255550100", "+5215555550101"
# Questions about how it works or why, naming the caller's own data (an own-data cue).
WHY_BALANCE = "why is my checking balance lower than I expected"
HOW_MINIMUM = "how is the minimum payment on my credit card calculated"
IF_FREEZE = "if I freeze my card will my subscriptions still go through"
POR_QUE_SALDO = "por qué bajó el saldo de mi cuenta de ahorro"
COMO_CALCULAN = "cómo calculan el pago mínimo de mi tarjeta"
# A condition with no fee, rate or limit word.
SI_BLOQUEO = "si bloqueo mi tarjeta de débito se cancela la domiciliación del gimnasio"
# The caller's own data, same nouns: run at once.
OWN_MINIMUM = "what's the minimum payment on my credit card"
OWN_BALANCE = "tell me my checking balance"
OWN_MINIMO = "dime el pago mínimo de mi tarjeta"
OWN_BLOQUEO = "bloquea mi tarjeta de débito por favor"
SCRIPT = {  # what an over-confident recognizer might say about these
    WHY_BALANCE: ("CheckBalance", 0.93),
    HOW_MINIMUM: ("CardPaymentInfo", 0.94),
    IF_FREEZE: ("BlockCard", 0.92),
    POR_QUE_SALDO: ("CheckBalance", 0.92),
    COMO_CALCULAN: ("CardPaymentInfo", 0.93),
    SI_BLOQUEO: ("BlockCard", 0.94),
    OWN_MINIMUM: ("CardPaymentInfo", 0.95),
    OWN_BALANCE: ("CheckBalance", 0.95),
    OWN_MINIMO: ("CardPaymentInfo", 0.95),
    OWN_BLOQUEO: ("BlockCard", 0.96),
}


@pytest.fixture
async def bot(bot_settings, trained_recognizer):
    async with running_bot(bot_settings, ScriptedRecognizer(trained_recognizer, SCRIPT)) as (channel, _):
        yield channel


async def first_reply(channel: EmulatorChannel, caller: str, locale: str, line: str) -> str:
    """A new call: the bot's words after its first line."""
    call, _ = await channel.start_call(caller, locale=locale)
    return " ".join(texts(await channel.say(call, line)))


@pytest.mark.parametrize("line", [WHY_BALANCE, HOW_MINIMUM, IF_FREEZE])
async def test_a_why_or_how_is_it_calculated_question_is_not_run_as_the_action(bot, line):
    reply = await first_reply(bot, CARLOS, "en-US", line)
    assert "PIN" not in reply, reply
    assert reply.strip()


@pytest.mark.parametrize("line", [POR_QUE_SALDO, COMO_CALCULAN, SI_BLOQUEO])
async def test_una_pregunta_de_por_que_o_como_se_calcula_no_se_ejecuta_como_la_accion(bot, line):
    reply = await first_reply(bot, MARIA, "es-MX", line)
    assert "NIP" not in reply, reply
    assert reply.strip()


@pytest.mark.parametrize("line", [OWN_MINIMUM, OWN_BALANCE])
async def test_a_plain_request_for_the_same_data_runs_at_once(bot, line):
    reply = await first_reply(bot, CARLOS, "en-US", line)
    assert "PIN" in reply and "Just to be sure" not in reply


@pytest.mark.parametrize("line", [OWN_MINIMO, OWN_BLOQUEO])
async def test_la_solicitud_directa_de_los_mismos_datos_se_ejecuta_de_inmediato(bot, line):
    reply = await first_reply(bot, MARIA, "es-MX", line)
    assert "NIP" in reply and "Para confirmar" not in reply
