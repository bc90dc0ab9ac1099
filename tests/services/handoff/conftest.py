"""Fixtures for the handoff tests: scripted call journals and a service on botbuilder's MemoryStorage."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from botbuilder.core import MemoryStorage

from services.handoff.embedded_handoff import EmbeddedHandoffService
from services.handoff.journal import CallJournal, CrmLookup, DetectedIntent
from services.handoff.kpi import EscalationMonitor
from services.handoff.store import HandoffStore

AGENT_NUMBER = "+14255550199"


def block_card_journal(conversation_id: str = "call-en-1") -> CallJournal:
    """Carlos blocks his lost credit card, then asks for a person (English call)."""
    journal = CallJournal(
        conversation_id=conversation_id,
        caller_ref="caller-test-0123",
        phone_masked="•••0123",
        language="en-US",
        customer_id="C001",
        customer_name="Carlos Rivera",
        verified=True,
        dialog_step="BlockCardDialog",
    )
    journal.add_turn("bot", "Welcome to Contoso Bank. How can I help you today?")
    journal.add_turn("caller", "I lost my credit card and I need to block it")
    journal.intents.append(
        DetectedIntent(intent="BlockCard", score=0.93, text="I lost my credit card and I need to block it")
    )
    journal.crm_lookups += [
        CrmLookup(operation="verify_pin", data_category="credentials"),
        CrmLookup(operation="get_cards", data_category="cards"),
        CrmLookup(operation="block_card", data_category="cards"),
    ]
    journal.entities.update(card_type="credit", block_reference="BLK123456")
    journal.add_turn("bot", "Your credit card is now blocked. Your reference is BLK123456.")
    journal.add_turn("caller", "my PIN is 4 5 6 7 and I want to talk to a person")
    journal.intents.append(
        DetectedIntent(intent="TalkToAgent", score=0.88, text="I want to talk to a person")
    )
    return journal


def spanish_fraud_journal(conversation_id: str = "call-es-1") -> CallJournal:
    """An unverified Spanish-speaking caller reports charges they did not make."""
    journal = CallJournal(
        conversation_id=conversation_id,
        caller_ref="caller-test-0188",
        phone_masked="•••0188",
        language="es-MX",
        dialog_step="MainDialog",
    )
    journal.add_turn("bot", "Bienvenido a Contoso Bank. ¿En qué le puedo ayudar?")
    journal.add_turn("caller", "hay cargos en mi tarjeta que yo no hice")
    journal.intents.append(
        DetectedIntent(intent="ReportFraud", score=0.91, text="hay cargos en mi tarjeta que yo no hice")
    )
    return journal


@pytest.fixture
def journal_en() -> CallJournal:
    return block_card_journal()


@pytest.fixture
def journal_es() -> CallJournal:
    return spanish_fraud_journal()


@pytest.fixture
def make_service() -> Callable[..., EmbeddedHandoffService]:
    def make(**kwargs: object) -> EmbeddedHandoffService:
        kwargs.setdefault("target", AGENT_NUMBER)
        kwargs.setdefault("monitor", EscalationMonitor(window_seconds=3600, threshold=0.4, min_calls=1))
        return EmbeddedHandoffService(HandoffStore(MemoryStorage()), **kwargs)  # type: ignore[arg-type]

    return make
