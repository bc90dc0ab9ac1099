"""The handoff service: builds, summarises, stores and publishes handoff records; post-call records."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from locales.languages import code_of, default_locale
from services.handoff.base import (
    CallAlreadyEnded,
    CallOutcome,
    Disposition,
    EscalationReason,
    HandoffNotFound,
    HandoffStatus,
    HandoffTicket,
    Priority,
    WrapUpRefused,
)
from services.handoff.flood import HandoffRateLimiter
from services.handoff.journal import CallJournal
from services.handoff.kpi import EscalationMonitor
from services.handoff.models import HandoffRecord, PostCall, PostCallRecord, Redactor, default_redactor
from services.handoff.store import INDEX_SIZE, HandoffEvents, HandoffStore
from services.recording.base import CallRecorder, RecordingError, consent_given
from services.speech.base import SpeechError, SpeechToText
from services.summary.base import Summarizer, SummaryError
from services.summary.embedded_summary import EmbeddedSummarizer, compose_summary

logger = logging.getLogger(__name__)

SUMMARY_TIMEOUT_SECONDS = 15.0
WRAP_UP_NOTE_CHARS = 500


def new_handoff_id() -> str:
    """12 hex characters: short enough for a SIP ``X-MS-Custom-`` header, unguessable enough for a URL."""
    return secrets.token_hex(6)


class EmbeddedHandoffService:
    """Implements the Handoff port on top of the session store; nothing here needs a network."""

    def __init__(
        self,
        store: HandoffStore,
        *,
        target: str,
        agent_language: str | None = None,
        service_level_seconds: int = 20,
        summarizer: Summarizer | None = None,
        events: HandoffEvents | None = None,
        monitor: EscalationMonitor | None = None,
        recorder: CallRecorder | None = None,
        stt: SpeechToText | None = None,
        record_on_transfer: bool = False,
        redact: Redactor | None = None,
        limiter: HandoffRateLimiter | None = None,
    ) -> None:
        self.store = store
        self._limiter = limiter
        self.events = events or HandoffEvents()
        self.monitor = monitor
        self.target = target
        self.agent_language = agent_language or default_locale()
        self.service_level_seconds = service_level_seconds
        self._summarizer = summarizer or EmbeddedSummarizer()
        self._recorder = recorder
        self._stt = stt
        self._record_on_transfer = record_on_transfer
        self._redact = redact or default_redactor()
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._by_call: dict[str, str] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    # --- the Handoff port -------------------------------------------------------------------------

    def admit(self, journal: CallJournal) -> None:
        if self._limiter is not None:
            self._limiter.admit(journal.caller_ref)

    async def escalate(self, journal: CallJournal, reason: EscalationReason) -> HandoffTicket:
        handoff_id = new_handoff_id()
        record = HandoffRecord.from_journal(handoff_id, journal, reason, self.target, self._redact)
        # The deterministic summary is instant, so the transfer never waits for a model.
        record.summary = compose_summary(record, self.agent_language)
        record.summary_language = self.agent_language
        journal.handoff_id = handoff_id
        self._remember_call(journal.conversation_id, handoff_id)
        if self._record_on_transfer and self._recorder is not None and consent_given(journal):
            try:
                record.recording_id = (await self._recorder.start(journal)).recording_id
            except RecordingError as exc:
                logger.warning(
                    "recording did not start", extra={"handoff_id": handoff_id, "error": type(exc).__name__}
                )
        try:
            await self.store.add(record)
        except Exception:  # any Storage backend; the caller must still be transferred
            logger.exception("handoff record not stored", extra={"handoff_id": handoff_id})
        self.events.publish({"type": "handoff", "record": record.model_dump(mode="json")})
        logger.info(
            "call escalated",
            extra={"handoff_id": handoff_id, "reason": reason.value, "priority": record.priority.value},
        )
        if not isinstance(self._summarizer, EmbeddedSummarizer):
            self._spawn(self._refine_summary(record))
        return HandoffTicket(
            handoff_id=handoff_id,
            reason=reason,
            priority=record.priority,
            target=self.target,
            summary=record.summary,
        )

    async def transfer_failed(self, handoff_id: str, message: str) -> None:
        async with self._update(handoff_id) as record:
            # Without any phone digits nobody can call back; the agent sees that in the status.
            can_call_back = bool(record.caller.phone_masked or record.caller.customer_id)
            record.status = (
                HandoffStatus.CALLBACK_REQUESTED if can_call_back else HandoffStatus.TRANSFER_FAILED
            )
            record.status_message = self._redact(message)[:200]
        logger.warning("transfer failed", extra={"handoff_id": handoff_id, "status": record.status.value})

    async def call_ended(self, journal: CallJournal, outcome: str) -> None:
        result = CallOutcome(outcome)
        handoff_id = journal.handoff_id or self._by_call.get(journal.conversation_id)
        post = PostCall(
            outcome=result,
            duration_seconds=0.0,
            intents=list(dict.fromkeys(i.intent for i in journal.intents)),
        )
        post.duration_seconds = round((post.ended_at - journal.started_at).total_seconds(), 1)
        await self._attach_recording(journal, post)
        call = PostCallRecord(
            **post.model_dump(),
            conversation_id=journal.conversation_id,
            language=journal.language,
            handoff_id=handoff_id,
            started_at=journal.started_at,
        )
        await self.store.save_call(call)
        if handoff_id is not None:
            try:
                async with self._update(handoff_id, event="call_ended") as record:
                    record.post_call = post
            except HandoffNotFound:
                logger.warning(
                    "call ended for a handoff record that is gone", extra={"handoff_id": handoff_id}
                )
        if self.monitor is not None:
            self.monitor.record(escalated=result is CallOutcome.TRANSFERRED or handoff_id is not None)
        self._by_call.pop(journal.conversation_id, None)

    # --- the agent side ---------------------------------------------------------------------------

    async def get(self, handoff_id: str) -> HandoffRecord:
        return await self.store.get(handoff_id)

    async def queue(self, limit: int = 50) -> list[HandoffRecord]:
        """Waiting callers first (high priority, then longest-waiting first), whatever their age: a flood
        of newer handoffs cannot push one off the list. Then the rest, newest first."""
        records = await self.store.recent(INDEX_SIZE)
        waiting = sorted(
            (r for r in records if r.waiting), key=lambda r: (r.priority is not Priority.HIGH, r.created_at)
        )
        return [*waiting, *(r for r in records if not r.waiting)][:limit]

    async def pick_up(self, handoff_id: str, agent: str) -> HandoffRecord:
        """Mark the call as taken by ``agent``; raises CallAlreadyEnded once the caller has hung up."""
        async with self._update(handoff_id) as record:
            if record.ended:
                raise CallAlreadyEnded(handoff_id)
            record.status = HandoffStatus.PICKED_UP
            record.picked_up_by = agent
        return record

    async def wrap_up(
        self, handoff_id: str, agent: str, disposition: Disposition, note: str
    ) -> HandoffRecord:
        """The agent's disposition code and note, stored on the handoff and on the post-call record."""
        async with self._update(handoff_id) as record:
            if record.post_call is None or record.picked_up_by != agent:
                raise WrapUpRefused(handoff_id)
            post = record.post_call
            post.disposition, post.wrapped_up_by = disposition, agent
            post.agent_note = self._redact(note)[:WRAP_UP_NOTE_CHARS]
        call = await self.store.get_call(record.conversation_id)
        if call is not None:
            call.disposition, call.agent_note, call.wrapped_up_by = disposition, post.agent_note, agent
            await self.store.save_call(call)
        return record

    @property
    def recorder(self) -> CallRecorder | None:
        return self._recorder

    async def record_audio(self, conversation_id: str, pcm: bytes) -> None:
        """Feed call audio (16 kHz mono PCM) from the media pipeline; kept only while the call is recorded."""
        if self._recorder is not None:
            await self._recorder.write(conversation_id, pcm)

    async def recording_ready(self, conversation_id: str, content_location: str) -> str | None:
        """ACS RecordingFileStatusUpdated arrived: fetch the audio and attach the post-call transcript."""
        content_ready = getattr(self._recorder, "content_ready", None)
        if content_ready is None:
            return None
        content_ready(conversation_id, content_location)
        return await self.attach_transcript(conversation_id)

    def recording_file_ready(self, server_call_id: str, content_location: str) -> str | None:
        """RecordingFileStatusUpdated for an ACS server call: fetch and transcribe in the background (Event
        Grid wants its answer now); the conversation id, or None when this instance did not record it."""
        call_of = getattr(self._recorder, "call_of", None)
        conversation_id = call_of(server_call_id) if call_of is not None else None
        if conversation_id is None:
            logger.info("recording file for a call not recorded here")
            return None
        self._spawn(self.recording_ready(conversation_id, content_location))
        return conversation_id

    async def attach_transcript(self, conversation_id: str) -> str | None:
        """Recordings whose audio arrives after the call (ACS): transcribe, update the post-call record."""
        call = await self.store.get_call(conversation_id)
        if call is None:
            return None
        transcript = await self._transcribe(conversation_id, call.language)
        if transcript is None:
            return None
        call.transcript = transcript
        await self.store.save_call(call)
        if call.handoff_id is not None:
            async with self._update(call.handoff_id, event="call_ended") as record:
                if record.post_call is not None:
                    record.post_call.transcript = transcript
        return transcript

    async def aclose(self) -> None:
        """Wait for background summaries (shutdown, tests)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    # --- internals --------------------------------------------------------------------------------

    @asynccontextmanager
    async def _update(self, handoff_id: str, event: str = "update") -> AsyncIterator[HandoffRecord]:
        """Read-modify-write of one record under a per-record lock, then tell the consoles."""
        async with self._locks[handoff_id]:
            record = await self.store.get(handoff_id)
            yield record
            await self.store.save(record)
        self.events.publish({"type": event, "record": record.model_dump(mode="json")})

    def _remember_call(self, conversation_id: str, handoff_id: str) -> None:
        self._by_call[conversation_id] = handoff_id
        while len(self._by_call) > 1000:  # calls that never reported an end
            self._by_call.pop(next(iter(self._by_call)))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _refine_summary(self, record: HandoffRecord) -> None:
        try:
            text = await asyncio.wait_for(
                self._summarizer.summarize(record, self.agent_language), SUMMARY_TIMEOUT_SECONDS
            )
        except (SummaryError, TimeoutError) as exc:
            logger.warning(
                "model summary unavailable, keeping the composed one", extra={"error": type(exc).__name__}
            )
            return
        try:
            async with self._update(record.handoff_id) as stored:
                stored.summary = text
        except HandoffNotFound:
            logger.warning(
                "summary for a handoff record that is gone", extra={"handoff_id": record.handoff_id}
            )
            return
        if code_of(record.language) != code_of(self.agent_language):
            await self._translate_transcript(record)

    async def _translate_transcript(self, record: HandoffRecord) -> None:
        """The transcript in the agent's language next to the caller's own words (model backends only)."""
        try:
            lines = await asyncio.wait_for(
                self._summarizer.translate_transcript(record, self.agent_language), SUMMARY_TIMEOUT_SECONDS
            )
        except (SummaryError, TimeoutError) as exc:
            logger.warning("transcript translation unavailable", extra={"error": type(exc).__name__})
            return
        if not lines:
            return
        try:
            async with self._update(record.handoff_id) as stored:
                if len(stored.transcript) == len(lines):
                    for turn, line in zip(stored.transcript, lines, strict=True):
                        turn.translation = line
        except HandoffNotFound:
            logger.warning(
                "translation for a handoff record that is gone", extra={"handoff_id": record.handoff_id}
            )

    async def _attach_recording(self, journal: CallJournal, post: PostCall) -> None:
        if self._recorder is None or not consent_given(journal):
            return
        try:
            info = await self._recorder.stop(journal.conversation_id)
        except RecordingError as exc:
            logger.warning("recording did not stop cleanly", extra={"error": type(exc).__name__})
            return
        if info is None:
            return
        post.recording_id = info.recording_id
        post.recording_path = str(info.path) if info.path else None
        post.transcript = await self._transcribe(journal.conversation_id, journal.language)

    async def _transcribe(self, conversation_id: str, language: str) -> str | None:
        if self._recorder is None or self._stt is None:
            return None
        try:
            pcm = await self._recorder.audio(conversation_id)
            if not pcm:
                return None
            result = await self._stt.transcribe(pcm, language)
        except (RecordingError, SpeechError) as exc:
            logger.warning("post-call transcript failed", extra={"error": type(exc).__name__})
            return None
        return self._redact(result.text)
