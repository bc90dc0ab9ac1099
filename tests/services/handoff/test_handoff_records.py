"""Each escalation reason produces a complete, redacted, stored handoff record with the right priority."""

from __future__ import annotations

import asyncio

import pytest
from botbuilder.core import MemoryStorage

from services.handoff.base import CallOutcome, EscalationReason, HandoffNotFound, HandoffStatus, Priority
from services.handoff.embedded_handoff import EmbeddedHandoffService
from services.handoff.models import TRANSCRIPT_TURNS
from services.handoff.store import HandoffStore, record_key
from tests.services.handoff.conftest import AGENT_NUMBER, block_card_journal
from tests.support.leaks import reveals

EXPECTED_PRIORITY = {
    EscalationReason.CALLER_REQUEST: Priority.NORMAL,
    EscalationReason.FRAUD: Priority.HIGH,
    EscalationReason.NO_MATCH: Priority.NORMAL,
    EscalationReason.IDENTIFICATION_FAILED: Priority.NORMAL,
    EscalationReason.BACKEND_FAILURE: Priority.NORMAL,
    EscalationReason.NO_INPUT: Priority.NORMAL,
    EscalationReason.KNOWLEDGE_GAP: Priority.NORMAL,
}


@pytest.mark.parametrize("reason", list(EscalationReason))
async def test_each_reason_stores_a_record_with_its_priority(reason: EscalationReason, make_service) -> None:
    service = make_service()
    journal = block_card_journal()
    ticket = await service.escalate(journal, reason)

    record = await service.get(ticket.handoff_id)
    assert record.reason is reason
    assert record.priority is EXPECTED_PRIORITY[reason] is ticket.priority
    assert record.status is HandoffStatus.QUEUED
    assert ticket.target == AGENT_NUMBER
    assert journal.handoff_id == ticket.handoff_id
    assert record.conversation_id == "call-en-1"
    assert (
        record.caller.verified
        and record.caller.name == "Carlos Rivera"
        and record.caller.customer_id == "C001"
    )
    assert [(i.intent, i.score) for i in record.intents] == [("BlockCard", 0.93), ("TalkToAgent", 0.88)]
    assert record.entities == {"card_type": "credit", "block_reference": "BLK123456"}
    assert [c.operation for c in record.crm_lookups] == ["verify_pin", "get_cards", "block_card"]
    assert record.dialog_step == "BlockCardDialog"
    assert record.summary == ticket.summary and record.summary


async def test_record_keeps_no_phone_number_or_pin_in_clear(make_service, journal_en) -> None:
    service = make_service()
    ticket = await service.escalate(journal_en, EscalationReason.CALLER_REQUEST)
    stored = (await service.get(ticket.handoff_id)).model_dump_json()
    assert not reveals(stored, "4255550123")
    assert "•••0123" in stored
    assert "4 5 6 7" not in stored and not reveals(stored, "4567")


async def test_unverified_caller_has_no_name_or_customer_id(make_service, journal_es) -> None:
    journal_es.customer_name, journal_es.customer_id = "Claimed Name", "C999"
    service = make_service()
    record = await service.get((await service.escalate(journal_es, EscalationReason.FRAUD)).handoff_id)
    assert record.caller.verified is False
    assert record.caller.name is None and record.caller.customer_id is None
    assert record.caller.phone_masked == "•••0188"
    assert "Claimed Name" not in record.summary


async def test_transcript_keeps_only_the_last_turns(make_service) -> None:
    journal = block_card_journal()
    for n in range(30):
        journal.add_turn("caller", f"turn number {n}")
    service = make_service()
    record = await service.get((await service.escalate(journal, EscalationReason.NO_MATCH)).handoff_id)
    assert len(record.transcript) == TRANSCRIPT_TURNS
    assert record.transcript[-1].text == "turn number 29"


async def test_records_live_in_the_session_store_under_handoff_key() -> None:
    storage = MemoryStorage()
    service = EmbeddedHandoffService(HandoffStore(storage), target=AGENT_NUMBER)
    ticket = await service.escalate(block_card_journal(), EscalationReason.CALLER_REQUEST)
    raw = await storage.read([record_key(ticket.handoff_id)])
    assert raw[record_key(ticket.handoff_id)]["reason"] == "caller_request"
    # A second service on the same store (another instance) reads the record by the id carried in the call.
    other = EmbeddedHandoffService(HandoffStore(storage), target=AGENT_NUMBER)
    assert (await other.get(ticket.handoff_id)).summary == ticket.summary
    assert [r.handoff_id for r in await other.queue()] == [ticket.handoff_id]


async def test_unknown_id_is_a_named_error(make_service) -> None:
    with pytest.raises(HandoffNotFound):
        await make_service().get("doesnotexist")


async def test_transfer_failure_keeps_the_record_and_marks_a_callback(make_service, journal_en) -> None:
    service = make_service()
    ticket = await service.escalate(journal_en, EscalationReason.CALLER_REQUEST)
    async with service.events.subscribe() as feed:
        await service.transfer_failed(ticket.handoff_id, "call to +14255550199 was not answered")
        event = feed.get_nowait()
    record = await service.get(ticket.handoff_id)
    assert record.status is HandoffStatus.CALLBACK_REQUESTED
    assert "not answered" in record.status_message and "4255550199" not in record.status_message
    assert record.summary == ticket.summary  # nothing lost
    assert event["type"] == "update" and event["record"]["status"] == "callback_requested"


async def test_transfer_failure_without_any_number_is_marked_failed(make_service) -> None:
    journal = block_card_journal()
    journal.caller_ref, journal.phone_masked, journal.verified = "", "", False
    service = make_service()
    ticket = await service.escalate(journal, EscalationReason.CALLER_REQUEST)
    await service.transfer_failed(ticket.handoff_id, "busy")
    assert (await service.get(ticket.handoff_id)).status is HandoffStatus.TRANSFER_FAILED


async def test_pick_up_marks_the_record_and_tells_the_consoles(make_service, journal_en) -> None:
    service = make_service()
    ticket = await service.escalate(journal_en, EscalationReason.FRAUD)
    async with service.events.subscribe() as feed:
        record = await service.pick_up(ticket.handoff_id, "agent7")
        assert feed.get_nowait()["record"]["status"] == "picked_up"
    assert record.status is HandoffStatus.PICKED_UP and record.picked_up_by == "agent7"


async def test_call_end_writes_a_post_call_record(make_service, journal_en) -> None:
    service = make_service()
    ticket = await service.escalate(journal_en, EscalationReason.CALLER_REQUEST)
    await service.call_ended(journal_en, "transferred")
    record = await service.get(ticket.handoff_id)
    assert record.post_call is not None
    assert record.post_call.outcome is CallOutcome.TRANSFERRED
    assert record.post_call.intents == ["BlockCard", "TalkToAgent"]
    assert record.post_call.duration_seconds >= 0
    call = await service.store.get_call("call-en-1")
    assert (
        call is not None and call.handoff_id == ticket.handoff_id and call.outcome is CallOutcome.TRANSFERRED
    )


async def test_contained_call_has_a_post_call_record_without_handoff(make_service) -> None:
    service = make_service()
    journal = block_card_journal("contained-1")
    await service.call_ended(journal, "contained")
    call = await service.store.get_call("contained-1")
    assert call is not None and call.handoff_id is None and call.outcome is CallOutcome.CONTAINED
    assert service.monitor.rate() == 0.0


async def test_two_instances_adding_at_once_both_reach_the_index(tmp_path) -> None:
    """Once the index exists (created at start-up) it is updated with e_tag checks: nothing is lost."""
    from storage.sqlite_storage import SqliteStorage

    instances = [HandoffStore(SqliteStorage(tmp_path / "state.db")) for _ in range(2)]
    await instances[0].ensure_index()
    await instances[1].ensure_index()
    services = [EmbeddedHandoffService(store, target=AGENT_NUMBER) for store in instances]
    tickets = await asyncio.gather(
        *(
            services[n % 2].escalate(block_card_journal(f"call-{n}"), EscalationReason.CALLER_REQUEST)
            for n in range(20)
        )
    )
    listed = await instances[0].recent_ids()
    assert sorted(listed) == sorted(t.handoff_id for t in tickets)
