"""Issue 16 item 3 over the Bot Framework protocol: the prompt kinds test_conversation_understanding.py
covers in one language only, in the other, and a question at the PIN prompt, in both."""

from __future__ import annotations

import pytest

from tests.e2e.test_conversation_understanding import CARLOS, CARLOS_PIN, MARIA, MARIA_PIN, bot, dial

__all__ = ["bot"]  # the fixture, imported for this module's tests


async def test_question_at_the_block_confirmation_is_answered_and_the_card_kept(bot) -> None:
    carlos = await dial(bot, CARLOS)
    await carlos.say("please block my debit card")
    assert "yes or no" in await carlos.say(CARLOS_PIN)
    reply = await carlos.say("wait, how much does a cashier's check cost?")
    assert "$10" in reply and "yes or no" not in reply and "blocked" not in reply


async def test_pregunta_al_elegir_la_tarjeta_se_responde(bot) -> None:
    maria = await dial(bot, MARIA, "es-MX")
    await maria.say("quiero bloquear una de mis tarjetas")
    assert "tarjeta de crédito o su tarjeta de débito" in await maria.say(MARIA_PIN)
    reply = await maria.say("¿cuánto cuesta un cheque de caja?")
    assert "10 dólares" in reply and "tarjeta de débito" not in reply


async def test_pregunta_tras_algo_mas_se_responde(bot) -> None:
    maria = await dial(bot, MARIA, "es-MX")
    assert "algo más" in await maria.say("¿cuánto cuestan los estados de cuenta en papel?")
    assert "40 dólares" in await maria.say("sí, ¿de cuánto es el cargo por pago tardío?")


@pytest.mark.parametrize(
    ("caller", "locale", "request_", "pin_word", "question", "fact"),
    [
        (CARLOS, "en-US", "what's my checking balance", "PIN",
         "actually, what time do branches open on saturday?", "9 a.m."),
        (MARIA, "es-MX", "cuál es mi saldo de cheques", "NIP",
         "perdón, ¿a qué hora abren las sucursales los sábados?", "9 a.m."),
    ],
)  # fmt: skip
async def test_question_at_the_pin_prompt_is_answered_not_taken_for_a_pin(
    bot, caller, locale, request_, pin_word, question, fact
) -> None:
    call = await dial(bot, caller, locale)
    assert pin_word in await call.say(request_)
    reply = await call.say(question)
    assert fact in reply and pin_word not in reply
