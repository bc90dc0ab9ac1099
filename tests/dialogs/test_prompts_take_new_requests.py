"""A caller at a prompt who asks for something else is served that, not asked the prompt again."""

from __future__ import annotations

import pytest

from dialogs.new_request import is_question
from services.crm.models import AccessContext
from tests.support.bot_harness import dialog_harness, make_test_settings
from tests.support.demo_callers import CARLOS, CARLOS_PIN, MARIA, MARIA_PIN, joined


async def card_status(bot, customer: str) -> dict[str, str]:
    cards = await bot.services.crm.get_cards(customer, AccessContext("t", "test"))
    return {card.card_type.value: card.status for card in cards}


async def test_stolen_card_at_which_account_starts_blocking_it(carlos):
    await carlos.say("how much money have I got")
    assert "Which account" in joined(await carlos.say(CARLOS_PIN))
    reply = joined(await carlos.say("hold on, my debit card got stolen"))
    assert "Sorry, which account" not in reply
    assert "debit card ending in 7 7 8 2" in reply


async def test_tarjeta_robada_al_preguntar_la_cuenta(maria):
    await maria.say("cuánto dinero tengo")
    assert "Qué cuenta" in joined(await maria.say(MARIA_PIN))
    reply = joined(await maria.say("espera, me robaron la tarjeta de débito"))
    assert "qué cuenta" not in reply.lower()
    assert "débito con terminación 3 3 4 4" in reply


async def test_question_at_which_account_is_answered(carlos):
    await carlos.say("how much money have I got")
    await carlos.say(CARLOS_PIN)
    reply = joined(await carlos.say("what time do branches close on saturdays"))
    assert "1 p.m." in reply and "which account" not in reply.lower()


async def test_question_at_block_confirmation_is_answered_and_card_kept(maria):
    await maria.say("quiero bloquear mi tarjeta de crédito")
    assert "sí o no" in joined(await maria.say(MARIA_PIN))
    reply = joined(await maria.say("oiga, ¿a qué hora cierran las sucursales el sábado?"))
    assert "13:00" in reply or "1 p" in reply or "sábado" in reply.lower()
    assert "sí o no" not in reply
    assert (await card_status(maria, "C1002"))["credit"] == "active"


async def test_no_at_block_confirmation_still_keeps_the_card(carlos):
    await carlos.say("please block my debit card")
    await carlos.say(CARLOS_PIN)
    assert "haven't blocked" in joined(await carlos.say("no, don't block it"))
    assert (await card_status(carlos, "C1001"))["debit"] == "active"


async def test_question_after_a_knowledge_decline_is_answered(carlos):
    assert "connect you" in joined(await carlos.say("who won the football game last night"))
    reply = joined(await carlos.say("ok, and what does a wire transfer abroad cost"))
    assert "$45" in reply or "45 dollars" in reply
    assert "yes or no" not in reply


async def test_no_then_question_after_a_knowledge_decline_is_answered(maria):
    assert "asesor" in joined(await maria.say("quién ganó el partido de anoche"))
    reply = joined(await maria.say("no, pero dígame cuánto cuesta una transferencia internacional"))
    assert "45" in reply and "sí o no" not in reply


async def test_question_at_the_just_to_be_sure_prompt_is_answered(
    tmp_path, knowledge_index_dir, trained_recognizer
):
    # Nothing is confident enough to run straight away, so every request is confirmed first.
    settings = make_test_settings(tmp_path, knowledge_index_dir, routing={"high_threshold": 1.01})
    carlos = await dialog_harness(settings, trained_recognizer, CARLOS, "en-US")
    assert "Just to be sure" in joined(await carlos.say("block my card"))
    reply = joined(await carlos.say("how long does an international transfer take"))
    assert "yes or no" not in reply
    assert "business days" in reply


@pytest.mark.parametrize(
    ("harness", "question", "follow_up", "fact"),
    [
        ("carlos", "what time do branches open on weekdays", "and on saturdays?", "1 p.m."),
        ("maria", "¿a qué hora abren las sucursales entre semana?", "¿y los sábados?", "sábados"),
    ],
)
async def test_follow_up_question_at_anything_else_is_answered_not_taken_for_goodbye(
    bot_settings, trained_recognizer, harness, question, follow_up, fact
):
    caller, locale = {"carlos": (CARLOS, "en-US"), "maria": (MARIA, "es-MX")}[harness]
    bot = await dialog_harness(bot_settings, trained_recognizer, caller, locale)
    assert "?" in joined(await bot.say(question))  # answered, then "anything else?"
    reply = joined(await bot.say(follow_up))  # the recognizer takes these for a goodbye
    assert fact in reply and not bot.ended_call()


@pytest.mark.parametrize(
    "text",
    [
        "what's the penalty if I pay late",
        "so how do I order a new checkbook",
        "is there a charge for paper statements?",
        "I was wondering whether you lend money for cars",
        "¿cuánto tarda en llegar una tarjeta nueva?",
        "oye y dónde queda la sucursal más cercana",
        "me puede decir si cobran por retirar en otro cajero",
        "who's the contact for lost cards",
    ],
)
def test_questions_are_told_apart(text):
    assert is_question(text)


@pytest.mark.parametrize(
    "text",
    ["savings please", "the blue one", "yes go ahead", "can you do that", "se me perdió la tarjeta", "what?"],
)
def test_answers_and_statements_are_not_questions(text):
    assert not is_question(text)
