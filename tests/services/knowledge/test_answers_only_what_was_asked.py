"""Knowledge answers only the question asked: follow-ups lean on the previous question, complete questions
stand alone, and an on-topic passage without the asked-for fact is declined (embedded and Azure OpenAI)."""

from __future__ import annotations

import json
from typing import Any

import httpx2
import pytest

from services.knowledge.azure_openai_generator import AzureOpenAIGenerator
from services.knowledge.base import ConversationTurn
from services.knowledge.question import Asked, asked_kinds, holds, is_follow_up
from services.knowledge.service import RagKnowledge
from tests.services.knowledge.conftest import chat_completion
from tests.services.knowledge.test_knowledge_azure import openai_client


def after(question: str, answer: str) -> list[ConversationTurn]:
    return [ConversationTurn("caller", question), ConversationTurn("bot", answer)]


async def test_complete_off_topic_question_after_an_answered_one_is_declined(knowledge: Any) -> None:
    question = "how can I change the password for online banking"
    first = await knowledge.answer(question, [], "en-US")
    assert first.grounded
    second = await knowledge.answer("how's the traffic downtown", after(question, first.text), "en-US")
    assert not second.grounded and "agent" in second.text


async def test_pregunta_completa_fuera_de_tema_tras_una_respondida_se_declina(knowledge: Any) -> None:
    question = "¿cuánto cuesta mandar una transferencia internacional?"
    first = await knowledge.answer(question, [], "es-MX")
    assert first.grounded and "45" in first.text
    second = await knowledge.answer("¿y el clima en Cancún?", after(question, first.text), "es-MX")
    assert not second.grounded and "asesor" in second.text


async def test_elliptical_follow_up_is_answered_from_the_previous_topic(knowledge: Any) -> None:
    first = await knowledge.answer("what's the yearly fee on the Platinum card", [], "en-US")
    assert first.grounded and "$95" in first.text
    follow = await knowledge.answer(
        "and for the Classic?", after("what's the yearly fee on the Platinum card", first.text), "en-US"
    )
    assert follow.grounded and "credit-card-agreement.pdf" in follow.sources


async def test_seguimiento_eliptico_en_espanol(knowledge: Any) -> None:
    question = "¿cuánto tarda en llegar una transferencia internacional?"
    first = await knowledge.answer(question, [], "es-MX")
    assert first.grounded
    follow = await knowledge.answer("¿y cuánto cuesta?", after(question, first.text), "es-MX")
    assert follow.grounded and "45 dólares" in follow.text


@pytest.mark.parametrize(
    ("question", "locale"),
    [
        ("what's the interest rate on a checking account", "en-US"),
        ("what is the APR on a car loan from you", "en-US"),
        ("¿qué tasa de interés paga una cuenta de cheques?", "es-MX"),
        # The card passages price no photo on a debit card; the payment passages take no bitcoin.
        ("is there a fee to have my photo printed on my debit card", "en-US"),
        ("¿puedo pagar con bitcoin?", "es-MX"),
        # Named and absent: a term the CD passage does not list, a monthly limit where only a daily one is.
        ("what rate does a 48-month CD pay", "en-US"),
        ("¿cuál es el límite mensual de las transferencias ACH?", "es-MX"),
        # A figure of the wrong kind: a deposit limit is not a fee, an annual fee is not a credit limit.
        ("is there a charge for the mobile app", "en-US"),
        ("¿qué límite de crédito tiene la tarjeta Classic?", "es-MX"),
        # An hour asked for, about a rate: the savings passage holds 4.00% APY and "paid monthly", no hour.
        ("at what time of day is interest paid into my savings account", "en-US"),
        ("¿a qué hora se pagan los intereses de mi cuenta de ahorro?", "es-MX"),
    ],
)
async def test_on_topic_question_the_documents_do_not_answer_is_declined(
    knowledge: Any, question: str, locale: str
) -> None:
    answer = await knowledge.answer(question, [], locale)
    assert not answer.grounded and answer.sources == []


async def test_how_many_days_for_a_new_card_reads_the_replacement_passage(knowledge: Any) -> None:
    # The report-a-lost-card passage ranks first and says "24 hours a day, 7 days a week": no span.
    answer = await knowledge.answer(
        "after my card is blocked how many days until the new one shows up", [], "en-US"
    )
    assert answer.grounded and "5 to 7 business days" in answer.text


async def test_hasta_que_hora_se_paga_el_dia_de_vencimiento_lee_las_8_pm(knowledge: Any) -> None:
    # The due-date passage ranks first and holds "25 días después": a span, no time of day.
    answer = await knowledge.answer(
        "hasta qué hora del día de vencimiento puedo pagar mi tarjeta sin recargo", [], "es-MX"
    )
    assert answer.grounded and "8 p.m." in answer.text


async def test_azure_answer_with_a_date_for_what_time_is_declined(kb_index: Any, embedder: Any) -> None:
    # The model answers "until what time" with the due date's place in the month: a span, not an hour.
    reply = "Your payment is due on the same day each month, 25 days after your statement closing date."
    client = openai_client(lambda _req: httpx2.Response(200, json=chat_completion(reply)))
    knowledge = RagKnowledge(kb_index, embedder, AzureOpenAIGenerator(client, "gpt-4o-mini"))
    answer = await knowledge.answer("until what time can I pay my card on the due date", [], "en-US")
    assert not answer.grounded and answer.text.startswith("I'm sorry")


async def test_azure_answer_without_the_asked_figure_is_declined(kb_index: Any, embedder: Any) -> None:
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        # On topic (the Platinum card), but no rate: the model answered a neighbouring question.
        return httpx2.Response(200, json=chat_completion("The Platinum card has an annual fee of $95."))

    knowledge = RagKnowledge(kb_index, embedder, AzureOpenAIGenerator(openai_client(handler), "gpt-4o-mini"))
    answer = await knowledge.answer("What is the purchase interest rate on the Platinum card?", [], "en-US")

    assert seen, "the question should reach the model"
    assert not answer.grounded and answer.text.startswith("I'm sorry")
    system = json.loads(seen[0].content)["messages"][0]["content"]
    assert "figure" in system and "last question" in system
    assert "time of day" in system and "span" in system


async def test_azure_answer_for_something_the_passages_do_not_name_is_declined(
    kb_index: Any, embedder: Any
) -> None:
    # The model reads the 12-month CD's rate to a caller asking about a 48-month CD: the passage it comes
    # from names no 48-month term, so the same rule as the embedded answerer declines it.
    reply = "The 12-month CD pays 4.50% APY, with a minimum deposit of $500."
    client = openai_client(lambda _req: httpx2.Response(200, json=chat_completion(reply)))
    knowledge = RagKnowledge(kb_index, embedder, AzureOpenAIGenerator(client, "gpt-4o-mini"))
    answer = await knowledge.answer("What rate does a 48-month CD pay?", [], "en-US")
    assert not answer.grounded and answer.text.startswith("I'm sorry")


async def test_azure_prompt_states_the_named_thing_rule(kb_index: Any, embedder: Any) -> None:
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return httpx2.Response(200, json=chat_completion("NO_ANSWER"))

    knowledge = RagKnowledge(kb_index, embedder, AzureOpenAIGenerator(openai_client(handler), "gpt-4o-mini"))
    answer = await knowledge.answer("¿Puedo pagar mi tarjeta con bitcoin en una sucursal?", [], "es-MX")
    assert not answer.grounded and answer.text.startswith("Lo siento")
    if seen:  # the question may already be declined by the grounding guard, before any model call
        system = json.loads(seen[0].content)["messages"][0]["content"]
        assert "names something the context does not mention" in system


async def test_azure_answer_with_the_asked_figure_is_spoken(kb_index: Any, embedder: Any) -> None:
    reply = "La tarjeta Platinum tiene una tasa de 18.99% anual para compras."
    client = openai_client(lambda _req: httpx2.Response(200, json=chat_completion(reply)))
    knowledge = RagKnowledge(kb_index, embedder, AzureOpenAIGenerator(client, "gpt-4o-mini"))
    answer = await knowledge.answer("¿Qué tasa de interés tiene la tarjeta Platinum?", [], "es-MX")
    assert answer.grounded and answer.text == reply


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("and at a branch?", True),
        ("what about weekends", True),
        ("¿y por la aplicación?", True),
        ("for the debit card?", True),
        ("the Platinum one?", True),
        ("how do I report a lost card", False),
        ("what's the weather in Seattle", False),
        ("and what's the exchange rate the bank uses for wires sent to Europe", False),
        ("¿cuánto cuesta una transferencia?", False),
        ("¿a qué hora cierran los domingos?", False),
        ("at what time do you close", False),
    ],
)
def test_follow_ups_are_judged_by_their_own_form(text: str, expected: bool) -> None:
    assert is_follow_up(text) is expected


def test_asked_kinds() -> None:
    assert asked_kinds("what's the APR on the Classic card") == {Asked.RATE}
    assert asked_kinds("¿cuánto me cobran por retirar en otro cajero?") == {Asked.AMOUNT}
    assert asked_kinds("when does the branch open on saturday") == {Asked.TIME}
    assert asked_kinds("how do I reset my password") == set()
    assert asked_kinds("until what time can I pay on the due date") == {Asked.CLOCK}
    assert asked_kinds("¿hasta qué hora abren?") == {Asked.CLOCK}
    assert asked_kinds("how many days until my new card arrives") == {Asked.DURATION}
    assert asked_kinds("¿cuánto tarda una transferencia internacional?") == {Asked.DURATION}


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("It arrives in 5 to 7 business days.", Asked.DURATION, True),
        ("Los pagos desde otro banco tardan de uno a tres días hábiles.", Asked.DURATION, True),
        ("Call us 24 hours a day, 7 days a week.", Asked.DURATION, False),
        ("Pay before 8 p.m. Eastern Time.", Asked.CLOCK, True),
        ("El pago vence 25 días después de la fecha de corte.", Asked.CLOCK, False),
    ],
)
def test_a_span_and_a_time_of_day_are_told_apart(text: str, kind: Asked, expected: bool) -> None:
    assert holds(text, kind) is expected


@pytest.mark.parametrize(
    ("question", "locale"),
    [
        # Kinds of card the documents never describe: the annual-fee passage prices the Classic and Platinum.
        ("how much is the yearly fee on a student credit card", "en-US"),
        ("¿cuánto cobran de anualidad por una tarjeta empresarial?", "es-MX"),
        # A kind of card other than the one the fee is stated for (the cash advance fee is a credit card's).
        ("how much is a cash advance on my debit card", "en-US"),
        ("¿qué comisión me cobran por comprar en el extranjero con mi tarjeta de débito?", "es-MX"),
        # An action the passage never says is possible: Contoso Pay's passage gives its limits, no way to
        # raise them.
        ("um can I raise my daily limit for Contoso Pay", "en-US"),
        ("¿se puede subir el límite diario de Contoso Pay?", "es-MX"),
    ],
)
async def test_question_naming_what_the_passage_does_not_state_its_fact_for_is_declined(
    knowledge: Any, question: str, locale: str
) -> None:
    answer = await knowledge.answer(question, [], locale)
    assert not answer.grounded and answer.sources == [], answer.text


@pytest.mark.parametrize(
    ("question", "locale", "fact"),
    [
        # Ranked first: "Encontró su tarjeta", "Card controls in the app"; the lost-card heading wins.
        ("perdí mi tarjeta, ¿qué hago?", "es-MX", "bloquéela"),
        ("I lost my debit card, what now", "en-US", "block it"),
        # "No foreign transaction fee" states the Platinum card's fee.
        ("how much is the foreign fee on the platinum", "en-US", "no foreign transaction fee"),
        ("what's the yearly fee on the Platinum card", "en-US", "$95"),
        ("¿cuánto cuesta una disposición de efectivo con mi tarjeta de crédito?", "es-MX", "10 dólares"),
        ("can I unblock my card if I find it", "en-US", "cannot unblock"),
    ],
)
async def test_question_whose_things_the_passage_states_its_fact_for_is_answered(
    knowledge: Any, question: str, locale: str, fact: str
) -> None:
    answer = await knowledge.answer(question, [], locale)
    assert answer.grounded and fact in answer.text, answer.text


async def test_azure_answer_stating_the_fee_of_another_card_is_declined(kb_index: Any, embedder: Any) -> None:
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        # The model reads the Platinum card's fee to a caller asking about a business card.
        reply = "The Contoso Platinum card has an annual fee of $95, waived the first year."
        return httpx2.Response(200, json=chat_completion(reply))

    knowledge = RagKnowledge(kb_index, embedder, AzureOpenAIGenerator(openai_client(handler), "gpt-4o-mini"))
    answer = await knowledge.answer("what's the annual fee on a business credit card", [], "en-US")
    assert seen, "the question should reach the model"
    assert not answer.grounded and answer.text.startswith("I'm sorry")
    system = json.loads(seen[0].content)["messages"][0]["content"]
    assert "qualifier" in system and "cancel" in system


async def test_azure_answer_that_does_not_say_whether_it_can_be_done_is_declined(
    kb_index: Any, embedder: Any
) -> None:
    # Asked whether the limit can be raised, the model reads the limit: on the topic, not the answer.
    reply = "El límite diario de Contoso Pay es de 2,500 dólares y el mensual de 10,000 dólares."
    client = openai_client(lambda _req: httpx2.Response(200, json=chat_completion(reply)))
    knowledge = RagKnowledge(kb_index, embedder, AzureOpenAIGenerator(client, "gpt-4o-mini"))
    answer = await knowledge.answer("¿me pueden subir el límite diario de Contoso Pay?", [], "es-MX")
    assert not answer.grounded and answer.text.startswith("Lo siento")
