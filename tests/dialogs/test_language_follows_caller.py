"""The call's language starts at the CRM preference and follows what the caller speaks or asks for."""

from __future__ import annotations

import pytest

from adapters.telephony import HANDOFF_INITIATE
from recognizers.language import language_to_follow, requested_language
from tests.support.demo_callers import CARLOS_PIN, MARIA_PIN, joined


async def test_spanish_speaker_on_english_account_is_served_in_spanish(carlos):
    assert "NIP" in joined(await carlos.say("necesito saber el saldo de mi cuenta de cheques"))
    reply = joined(await carlos.say(CARLOS_PIN))
    assert "310 dólares con 75 centavos" in reply and "algo más" in reply


async def test_english_speaker_on_spanish_account_is_served_in_english(maria):
    assert "PIN" in joined(await maria.say("could you check my savings balance for me"))
    assert "15,200 pesos" in joined(await maria.say(MARIA_PIN))
    assert "Goodbye" in joined(await maria.say("gracias"))  # one short word does not switch back


async def test_short_answers_names_and_digits_do_not_switch(maria):
    await maria.say("quiero consultar mi saldo")
    question = joined(await maria.say("4 3 2 1"))
    assert "Qué cuenta" in question
    reply = joined(await maria.say("ok"))
    assert "qué cuenta" in reply.lower()


async def test_in_spanish_please_switches_and_says_so(carlos):
    reply = joined(await carlos.say("in Spanish, please"))
    assert "español" in reply and "ayudar" in reply
    assert "NIP" in joined(await carlos.say("revisa mi saldo"))


async def test_en_ingles_por_favor_switches_mid_prompt(maria):
    assert "NIP" in joined(await maria.say("quiero bloquear mi tarjeta"))
    reply = joined(await maria.say("en inglés, por favor"))
    assert "English" in reply
    assert "PIN" in joined(await maria.say("block my card"))


async def test_handoff_after_a_switch_tells_the_agent_the_call_language(carlos):
    await carlos.say("buenas tardes, quiero hablar con un asesor por favor")
    transfer = carlos.events(HANDOFF_INITIATE)
    assert transfer, "no transfer"
    summary = transfer[0].attachments[0].content["summary"]
    assert "Spanish" in summary  # the agent (English console) learns the call was in Spanish


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("could we do this in Spanish", "es"),
        ("Spanish please", "es"),
        ("¿me puede atender en inglés?", "en"),
        ("en español", "es"),
        ("I don't speak Spanish", None),
        ("no hablo inglés", None),
        ("I need to send money to a Spanish bank account from my checking account today", None),
        ("what's the fee for a Spanish bank transfer", None),
        ("is there someone who speaks English", "en"),
        ("¿alguien que hable inglés?", "en"),
        ("tengo una cuenta en inglés", None),
        ("what is my balance", None),
    ],
)
def test_explicit_language_requests(text, language):
    assert requested_language(text) == language


@pytest.mark.parametrize(
    ("text", "detected", "current", "expected"),
    [
        ("quisiera saber mi saldo", "es", "en", "es"),
        ("ok", "es", "en", None),
        ("4 3 2 1", "es", "en", None),
        ("María González", "es", "en", None),
        ("what's my balance", "en", "en", None),
    ],
)
def test_language_follows_only_a_turn_that_says_enough(text, detected, current, expected):
    assert language_to_follow(text, detected, current) == expected
