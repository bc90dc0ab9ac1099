"""Conversations over the Bot Framework protocol (the real app, Emulator-style channel), in both languages:
a question at any prompt is served, follow-ups lean on the previous question and nothing else does, and
the call's language follows the caller."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.emulator import EmulatedCall, EmulatorChannel, texts
from tests.support.bot_harness import make_test_settings, running_bot

CARLOS, CARLOS_PIN = "+14255550100", "1234"  # English preference
MARIA, MARIA_PIN = "+5215555550101", "4321"  # Spanish preference


@pytest.fixture
async def bot(bot_settings, trained_recognizer):
    async with running_bot(bot_settings, trained_recognizer) as (channel, _):
        yield channel


class Call:
    """One phone call: say something, get back everything the bot said (text, and the raw replies)."""

    def __init__(self, channel: EmulatorChannel, call: EmulatedCall) -> None:
        self.channel, self.call = channel, call
        self.replies: list[dict[str, Any]] = []

    async def say(self, text: str) -> str:
        self.replies = await self.channel.say(self.call, text)
        return " ".join(texts(self.replies))

    def voices(self) -> set[str]:
        return {r["speak"].split("<voice name='")[1].split("'")[0] for r in self.replies if r.get("speak")}


async def dial(channel: EmulatorChannel, caller: str, locale: str = "en-US") -> Call:
    call, _ = await channel.start_call(caller, locale=locale)
    return Call(channel, call)


async def test_question_after_each_kind_of_prompt_is_answered(bot):
    carlos = await dial(bot, CARLOS)  # "Which account?"
    await carlos.say("how much do I have in my accounts")
    assert "Which account" in await carlos.say(CARLOS_PIN)
    reply = await carlos.say("wait, what time do the branches close on saturday")
    assert "1 p.m." in reply and "which account" not in reply.lower()

    carlos = await dial(bot, CARLOS)  # "Which card?"
    await carlos.say("I want to block one of my cards")
    assert "credit card or your debit card" in await carlos.say(CARLOS_PIN)
    reply = await carlos.say("how much does it cost to get a cashier's check")
    assert "$10" in reply and "credit card or your debit card" not in reply

    carlos = await dial(bot, CARLOS)  # the agent offer after a decline
    assert "connect you" in await carlos.say("what's the score of the baseball game")
    reply = await carlos.say("no thanks, what does a stop payment order cost?")
    assert "$30" in reply and "yes or no" not in reply

    carlos = await dial(bot, CARLOS)  # "anything else?"
    assert "anything else" in await carlos.say("what's the cost of a paper statement")
    assert "late fee of up to $40" in await carlos.say("yes, how much is the late fee on my credit card")


async def test_pregunta_despues_de_cada_tipo_de_prompt_se_responde(bot):
    maria = await dial(bot, MARIA, "es-MX")  # block-card yes/no
    await maria.say("bloquea mi tarjeta de débito por favor")
    assert "sí o no" in await maria.say(MARIA_PIN)
    reply = await maria.say("oiga, ¿a qué hora abren las sucursales entre semana?")
    assert "lunes a viernes" in reply and "sí o no" not in reply

    maria = await dial(bot, MARIA, "es-MX")  # "¿Qué cuenta?"
    await maria.say("quiero revisar mi saldo")
    assert "Qué cuenta" in await maria.say(MARIA_PIN)
    reply = await maria.say("perdón, ¿cuánto cuesta una transferencia internacional?")
    assert "45 dólares" in reply and "qué cuenta" not in reply.lower()

    maria = await dial(bot, MARIA, "es-MX")  # the agent offer after a decline
    assert "asesor" in await maria.say("¿cuál es la mejor receta de tamales?")
    reply = await maria.say("no, mejor dígame cuánto cuesta una orden de suspensión de pago")
    assert "30 dólares" in reply


async def test_question_at_the_just_to_be_sure_prompt_is_answered(
    tmp_path, knowledge_index_dir, trained_recognizer
):
    # A high threshold above every score: each request is confirmed before it runs.
    settings = make_test_settings(tmp_path, knowledge_index_dir, routing={"high_threshold": 1.01})
    async with running_bot(settings, trained_recognizer) as (channel, _):
        carlos = await dial(channel, CARLOS)
        assert "Just to be sure" in await carlos.say("read me my last transactions")
        reply = await carlos.say("actually, how long does a domestic wire take?")
        assert "same day" in reply and "yes or no" not in reply

        maria = await dial(channel, MARIA, "es-MX")
        assert "Para confirmar" in await maria.say("quiero ver mis movimientos")
        reply = await maria.say("¿a qué hora cierran las sucursales los sábados?")
        assert "sí o no" not in reply and ("13:00" in reply or "1 p" in reply or "sábado" in reply.lower())


@pytest.mark.parametrize(
    ("caller", "locale", "first", "follow_up", "fact"),
    [
        (
            CARLOS,
            "en-US",
            "what is the annual fee for the Platinum card",
            "and the Classic one?",
            "no annual fee",
        ),
        (MARIA, "es-MX", "¿cuánto tarda una transferencia internacional?", "¿y cuánto cuesta?", "45 dólares"),
    ],
)
async def test_elliptical_follow_up_is_answered_from_the_previous_topic(
    bot, caller, locale, first, follow_up, fact
):
    call = await dial(bot, caller, locale)
    await call.say(first)
    assert fact in await call.say(follow_up)


@pytest.mark.parametrize(
    ("caller", "locale", "on_topic", "off_topic", "decline"),
    [
        (
            CARLOS,
            "en-US",
            "how do I change my online banking password",
            "who's the governor of Texas",
            "agent",
        ),
        (
            MARIA,
            "es-MX",
            "¿cómo recupero mi contraseña de la banca en línea?",
            "¿qué serie me recomiendas?",
            "asesor",
        ),
    ],
)
async def test_off_topic_question_after_an_on_topic_one_is_declined(
    bot, caller, locale, on_topic, off_topic, decline
):
    call = await dial(bot, caller, locale)
    first = await call.say(on_topic)
    assert decline not in first
    reply = await call.say(off_topic)
    assert decline in reply and first.split(".")[0] not in reply


@pytest.mark.parametrize(
    ("caller", "locale", "question", "decline"),
    [
        (CARLOS, "en-US", "what interest does a checking account earn", "agent"),
        (MARIA, "es-MX", "¿cuál es la tasa de interés de una cuenta de cheques?", "asesor"),
        # An hour asked about interest: the savings passage gives the rate and "paid monthly", no hour.
        (CARLOS, "en-US", "at what time of day is interest paid into my savings account", "agent"),
        (MARIA, "es-MX", "¿a qué hora se pagan los intereses de mi cuenta de ahorro?", "asesor"),
    ],
)
async def test_on_topic_question_the_documents_do_not_answer_is_declined(
    bot, caller, locale, question, decline
):
    call = await dial(bot, caller, locale)
    reply = await call.say(question)
    assert decline in reply and "%" not in reply


@pytest.mark.parametrize(
    ("caller", "locale", "question", "decline", "not_read"),
    [
        # The annual-fee passage prices the Classic and Platinum cards, no student card.
        (CARLOS, "en-US", "how much is the yearly fee on a student credit card", "agent", "$95"),
        # The foreign-purchase fee is the Classic credit card's; the caller asks about a debit card.
        (
            MARIA,
            "es-MX",
            "¿qué comisión me cobran por comprar en el extranjero con mi tarjeta de débito?",
            "asesor",
            "3%",
        ),
        # Contoso Pay's passage gives its limits, not whether they can be raised.
        (CARLOS, "en-US", "um can I raise my daily limit for Contoso Pay", "agent", "$2,500"),
        (MARIA, "es-MX", "¿se puede subir el límite diario de Contoso Pay?", "asesor", "2,500"),
    ],
)
async def test_question_naming_what_the_documents_do_not_state_the_fact_for_is_declined(
    bot, caller, locale, question, decline, not_read
):
    call = await dial(bot, caller, locale)
    reply = await call.say(question)
    assert decline in reply and not_read not in reply


@pytest.mark.parametrize(
    ("caller", "locale", "question", "fact"),
    [
        (CARLOS, "en-US", "what's the yearly fee on the Platinum card", "$95"),
        (MARIA, "es-MX", "¿cuánto es la anualidad de la Platinum?", "95 dólares"),
    ],
)
async def test_question_naming_what_the_documents_state_the_fact_for_is_answered(
    bot, caller, locale, question, fact
):
    call = await dial(bot, caller, locale)
    assert fact in await call.say(question)


@pytest.mark.parametrize(
    ("caller", "locale", "question", "fact"),
    [
        # Ranked first: the report-a-lost-card passage ("24 hours a day, 7 days a week"), which holds no span.
        (CARLOS, "en-US", "after my card is blocked how many days until the new one shows up", "5 to 7"),
        # Ranked first: the due-date passage ("25 días después"), which holds no hour.
        (
            MARIA,
            "es-MX",
            "hasta qué hora del día de vencimiento puedo pagar mi tarjeta sin recargo",
            "8 p.m.",
        ),
    ],
)
async def test_the_passage_holding_the_hour_or_span_asked_for_is_read(bot, caller, locale, question, fact):
    call = await dial(bot, caller, locale)
    assert fact in await call.say(question)


async def test_spanish_speaker_on_an_english_account_is_answered_in_spanish(bot):
    carlos = await dial(bot, CARLOS)
    assert "NIP" in await carlos.say("buenas tardes, quiero consultar mi saldo de cheques")
    assert carlos.voices() == {"es-MX-DaliaNeural"}
    reply = await carlos.say(CARLOS_PIN)
    assert "310 dólares con 75 centavos" in reply
    reply = await carlos.say("¿y cuánto me cobran por usar un cajero de otro banco?")
    assert "2.50 dólares" in reply or "2,50 dólares" in reply
    assert carlos.voices() == {"es-MX-DaliaNeural"}


async def test_explicit_language_switch_both_ways(bot):
    carlos = await dial(bot, CARLOS)
    reply = await carlos.say("could you speak Spanish please")
    assert "español" in reply and carlos.voices() == {"es-MX-DaliaNeural"}

    maria = await dial(bot, MARIA, "es-MX")
    reply = await maria.say("en inglés, por favor")
    assert "English" in reply and maria.voices() == {"en-US-JennyNeural"}
    assert "PIN" in await maria.say("ok, check my savings balance")


@pytest.mark.parametrize(
    ("caller", "locale", "request_", "person", "pin_word"),
    [
        (CARLOS, "en-US", "what's my checking balance", "I want to talk to a person", "PIN"),
        (MARIA, "es-MX", "cuál es mi saldo de cheques", "quiero hablar con una persona", "NIP"),
    ],
)
async def test_asking_for_a_person_at_the_pin_prompt_transfers_and_journals_the_words(
    bot_settings, trained_recognizer, caller, locale, request_, person, pin_word
):
    async with running_bot(bot_settings, trained_recognizer) as (channel, services):
        call = await dial(channel, caller, locale)
        assert pin_word in await call.say(request_)
        await call.say(person)
        handoff = [r for r in call.replies if r["type"] == "event" and r["name"] == "handoff.initiate"]
        assert handoff, texts(call.replies)
        record = await services.handoff.get(handoff[0]["value"]["HandoffId"])
    said = [t.text for t in record.transcript if t.speaker == "caller"]
    assert person in said and "[PIN]" not in said
    assert any(i.intent == "TalkToAgent" and i.text == person for i in record.intents)
    assert "number" not in record.entities, record.entities
