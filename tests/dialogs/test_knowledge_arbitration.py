"""MainDialog's arbitration: a strong document match beats a customer-data intent unless the caller asks
to act on their own data, and only when the words ask about the bank's rules; ROUTING__KNOWLEDGE_FIRST
switches the document answer off (ROUTING__ASK_RULES_QUESTIONS, the confirmation, too)."""

from __future__ import annotations

import pytest

from recognizers.own_data import asks_about_rules, is_own_data_action
from tests.support.bot_harness import dialog_harness
from tests.support.scripted_recognizer import ScriptedRecognizer

CARLOS, MARIA = "+14255550100", "+5215555550101"
ATM_QUESTION = "uh what does it cost to use an ATM outside your network"
WIRE_QUESTION = "oiga cuánto cuesta mandar una transferencia internacional"
OWN_PAYMENT = "tell me when my card payment is due"
# Requests whose words the documents also cover (cards, payments) but which ask for no rule or price.
BLOCK_REQUEST = "I want the card blocked"
PAYMENT_REQUEST_ES = "para cuándo hay que pagar la tarjeta"
SCRIPT = {  # what an over-confident recognizer might say about these
    ATM_QUESTION: ("CardPaymentInfo", 0.93),
    WIRE_QUESTION: ("CardPaymentInfo", 0.91),
    OWN_PAYMENT: ("CardPaymentInfo", 0.93),
    BLOCK_REQUEST: ("BlockCard", 0.97),
    PAYMENT_REQUEST_ES: ("CardPaymentInfo", 0.95),
}


def joined(replies: list[str]) -> str:
    return " ".join(replies)


@pytest.fixture
def recognizer(trained_recognizer):
    return ScriptedRecognizer(trained_recognizer, SCRIPT)


async def test_fee_question_taken_for_a_card_intent_is_answered_from_documents(bot_settings, recognizer):
    carlos = await dialog_harness(bot_settings, recognizer, CARLOS, "en-US")
    reply = joined(await carlos.say(ATM_QUESTION))
    assert "$2.50" in reply or "2.50" in reply or "2 dollars and 50 cents" in reply
    assert "PIN" not in reply


async def test_una_pregunta_de_comisiones_se_responde_de_los_documentos(bot_settings, recognizer):
    maria = await dialog_harness(bot_settings, recognizer, MARIA, "es-MX")
    reply = joined(await maria.say(WIRE_QUESTION))
    assert "45" in reply
    assert "NIP" not in reply


async def test_an_action_on_the_callers_own_data_still_runs_its_dialog(bot_settings, recognizer):
    carlos = await dialog_harness(bot_settings, recognizer, CARLOS, "en-US")
    reply = joined(await carlos.say(OWN_PAYMENT))
    assert "PIN" in reply


async def test_a_confident_request_that_asks_no_rule_runs_its_dialog(bot_settings, recognizer):
    carlos = await dialog_harness(bot_settings, recognizer, CARLOS, "en-US")
    assert "PIN" in joined(await carlos.say(BLOCK_REQUEST))
    maria = await dialog_harness(bot_settings, recognizer, MARIA, "es-MX")
    assert "NIP" in joined(await maria.say(PAYMENT_REQUEST_ES))


async def test_the_rule_is_switched_off_by_configuration(bot_settings, recognizer):
    def switched(**off: bool):
        return bot_settings.model_copy(update={"routing": bot_settings.routing.model_copy(update=off)})

    # No document answer: the rules question is still not run without asking (ROUTING__ASK_RULES_QUESTIONS).
    carlos = await dialog_harness(switched(knowledge_first=False), recognizer, CARLOS, "en-US")
    reply = joined(await carlos.say(ATM_QUESTION))
    assert "Just to be sure" in reply and "2.50" not in reply and "PIN" not in reply
    carlos = await dialog_harness(
        switched(knowledge_first=False, ask_rules_questions=False), recognizer, CARLOS, "en-US"
    )
    reply = joined(await carlos.say(ATM_QUESTION))
    assert "PIN" in reply


@pytest.mark.parametrize(
    ("text", "own"),
    [
        ("check my savings balance", True),
        ("block my debit card please", True),
        ("what did I spend at the supermarket", True),
        ("um how much money do I have", True),
        ("how much money have I got", True),
        ("how much is left in my checking", True),
        ("bloquea mi tarjeta de débito", True),
        ("cuánto gasté este mes", True),
        ("me robaron la cartera con la tarjeta", True),
        # Polite requests for the caller's own data are requests, though "can I" also opens rules questions.
        ("could you please tell me the balance on savings", True),
        ("can I hear the charges from yesterday", True),
        ("could I have my debit card frozen", True),
        ("how much can I spend from my savings today", True),
        ("is there enough money in my checking for the rent", True),
        ("cuánto puedo gastar de mi cuenta de ahorro", True),
        ("me alcanza para pagar la renta", True),
        ("can I block the card", True),
        ("how many purchases did I make yesterday", True),
        ("puedo bloquear la tarjeta", True),
        ("cuántas compras hice ayer", True),
        ("hay algún cargo nuevo en la tarjeta", True),
        ("cuántos días faltan para pagar la tarjeta", True),
        ("hay algún cargo por usar el cajero", False),  # "cargo por" is a fee
        ("cuántos retiros puedo hacer gratis", False),
        ("how many withdrawals can I make for free", False),
        ("can I see my PIN in the app", False),
        ("can I have two savings accounts", False),
        ("what are the fees for wiring money overseas", False),
        ("can I raise the daily limit on withdrawals", False),
        ("qué documentos piden para abrir una cuenta", False),
        ("cuánto cobran por usar un cajero de otro banco", False),
    ],
)
def test_own_data_cues(text, own):
    assert is_own_data_action(text) is own


@pytest.mark.parametrize(
    ("text", "rules"),
    [
        ("what are the fees for using my card abroad", True),
        ("can I raise the daily limit on withdrawals", True),
        ("qué requisitos piden para un préstamo", True),
        ("cuánto cobran por una transferencia", True),
        ("I want the card blocked", False),
        ("when is the payment due", False),
        ("quiero bloquear la tarjeta", False),
        ("para cuándo hay que pagar la tarjeta", False),
        ("dígame la fecha límite de pago de la tarjeta", False),  # a due date, not a limit
        ("cuál es el límite de retiro en cajero", True),
    ],
)
def test_rules_question_cues(text, rules):
    assert asks_about_rules(text) is rules
