"""Over the Bot Framework protocol, both languages: a rules question the recognizer takes, confidently, for a
customer-data action and that no document covers is confirmed before the action runs (dialogs/arbitration.py,
ROUTING__ASK_RULES_QUESTIONS); the caller's own-data request with the same nouns still runs at once."""

from __future__ import annotations

import pytest

from adapters.emulator import EmulatorChannel, texts
from tests.support.bot_harness import running_bot
from tests.support.scripted_recognizer import ScriptedRecognizer

CARLOS, MARIA = "+14255550100", "+5215555550101"
# Questions about the bank's rules on things the documents do not cover (so no knowledge answer wins).
CASINO_QUESTION = "can I block payments to online casinos"
CERTIFICATE_QUESTION = "do you charge a fee to print a balance certificate for a visa application"
CONSTANCIA_QUESTION = "cobran algo por imprimir una constancia de saldo para la embajada"
CRYPTO_QUESTION_ES = "puedo pagar la renta con una billetera de criptomonedas"
# The caller's own data, same nouns.
OWN_BLOCK = "block my card for online casino payments"
OWN_BALANCE = "tell me the balance on my checking account"
OWN_BALANCE_ES = "dime el saldo de mi cuenta de cheques"
SCRIPT = {  # what an over-confident recognizer might say about these
    CASINO_QUESTION: ("BlockCard", 0.94),
    CERTIFICATE_QUESTION: ("CheckBalance", 0.93),
    CONSTANCIA_QUESTION: ("CheckBalance", 0.92),
    CRYPTO_QUESTION_ES: ("CardPaymentInfo", 0.91),
    OWN_BLOCK: ("BlockCard", 0.96),
    OWN_BALANCE: ("CheckBalance", 0.95),
    OWN_BALANCE_ES: ("CheckBalance", 0.95),
}


@pytest.fixture
async def bot(bot_settings, trained_recognizer):
    async with running_bot(bot_settings, ScriptedRecognizer(trained_recognizer, SCRIPT)) as (channel, _):
        yield channel


async def say(channel: EmulatorChannel, caller: str, locale: str, *lines: str) -> list[str]:
    """One call: the bot's words after each line."""
    call, _ = await channel.start_call(caller, locale=locale)
    return [" ".join(texts(await channel.say(call, line))) for line in lines]


async def test_a_rules_question_taken_for_an_action_is_confirmed_before_it_runs(bot):
    (reply,) = await say(bot, CARLOS, "en-US", CASINO_QUESTION)
    assert "Just to be sure: do you want to block a card?" in reply
    assert "PIN" not in reply
    asked, declined = await say(bot, CARLOS, "en-US", CERTIFICATE_QUESTION, "no")
    assert "Just to be sure: do you want to check your balance?" in asked and "PIN" not in asked
    assert "What can I help you with?" in declined and "PIN" not in declined


async def test_the_caller_who_says_yes_gets_the_action(bot):
    _, accepted = await say(bot, CARLOS, "en-US", CASINO_QUESTION, "yes")
    assert "PIN" in accepted


async def test_the_callers_own_data_request_with_the_same_nouns_runs_at_once(bot):
    (reply,) = await say(bot, CARLOS, "en-US", OWN_BLOCK)
    assert "PIN" in reply and "Just to be sure" not in reply
    (reply,) = await say(bot, CARLOS, "en-US", OWN_BALANCE)
    assert "PIN" in reply and "Just to be sure" not in reply


async def test_una_pregunta_sobre_las_reglas_tomada_por_una_accion_se_confirma_antes(bot):
    asked, declined = await say(bot, MARIA, "es-MX", CONSTANCIA_QUESTION, "no")
    assert "Para confirmar: ¿desea consultar su saldo?" in asked and "NIP" not in asked
    assert "¿En qué le puedo ayudar?" in declined and "NIP" not in declined
    (asked,) = await say(bot, MARIA, "es-MX", CRYPTO_QUESTION_ES)
    assert "Para confirmar" in asked and "NIP" not in asked


async def test_la_consulta_de_sus_propios_datos_con_las_mismas_palabras_se_ejecuta_de_inmediato(bot):
    (reply,) = await say(bot, MARIA, "es-MX", OWN_BALANCE_ES)
    assert "NIP" in reply and "Para confirmar" not in reply


async def test_the_confirmation_is_switched_off_by_configuration(bot_settings, trained_recognizer):
    routing = bot_settings.routing.model_copy(update={"ask_rules_questions": False})
    settings = bot_settings.model_copy(update={"routing": routing})
    async with running_bot(settings, ScriptedRecognizer(trained_recognizer, SCRIPT)) as (channel, _):
        (reply,) = await say(channel, CARLOS, "en-US", CASINO_QUESTION)
    assert "PIN" in reply and "Just to be sure" not in reply
