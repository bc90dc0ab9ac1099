"""Verifies who is calling before any account data: caller number or customer number, then a PIN."""

from __future__ import annotations

import logging
from datetime import date

from botbuilder.dialogs import DialogTurnResult, WaterfallDialog, WaterfallStepContext

from dialogs.base import VoiceDialog
from dialogs.deps import DialogDeps
from dialogs.prompts import CUSTOMER_NUMBER_PROMPT, PIN_PROMPT, YES_NO_PROMPT
from locales.formatting import say_weekday_since
from locales.languages import code_of
from recognizers.language import detect_language
from services.audit.base import AuditEntry, AuditUnavailable, DataCategory, Operation
from services.crm.base import CrmError
from storage.conversation_locks import TurnLockTimeout
from storage.items import StorageUnavailableError
from storage.pin_lockout import LockoutSubject

logger = logging.getLogger(__name__)

_INTENT = "IdentifyCaller"
_STEPS = "identify_steps"
_LOCKED = "identify_locked_offer"
UNVERIFIED = "unverified"
"""The dialog ends with ``{"unverified": True}`` when verification is locked and the caller declined an
agent: nothing was verified, nothing needs a transfer."""
LOCKOUT_EVENT = "PinLockout"


def _written_in(subject: str, locale: str) -> bool:
    """Whether a CRM ticket's subject (an agent's words, in any language) reads naturally in ``locale``."""
    return detect_language(subject) == code_of(locale)


class IdentifyCallerDialog(VoiceDialog):
    """Ends with True when the caller is verified, False when an agent should take over, or
    ``{UNVERIFIED: True}``. A customer number that does not exist is asked for a PIN like any other
    and fails the same way, so the answers never tell which customer numbers exist."""

    def __init__(self, deps: DialogDeps) -> None:
        super().__init__(IdentifyCallerDialog.__name__, deps)
        self.add_dialog(WaterfallDialog(_STEPS, [self._customer_step, self._pin_step, self._verify_step]))
        self.add_dialog(WaterfallDialog(_LOCKED, [self._offer_agent_step, self._offer_answer_step]))
        self.initial_dialog_id = _STEPS

    async def _customer_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        session = await self.deps.session(step.context)
        customer_id = session.customer_id or (step.options or {}).get("customer")
        if customer_id:
            return await step.next(customer_id)
        return await self.ask(
            step, CUSTOMER_NUMBER_PROMPT, "identify.ask_customer_number", "identify.bad_customer_number"
        )

    async def _pin_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        customer_id = step.result
        if customer_id is None:
            return await step.end_dialog(False)
        step.values["customer_id"] = customer_id
        session = await self.deps.session(step.context)
        if session.customer_id != customer_id and not (step.options or {}).get("customer"):
            # Looked up now so that an outage is met before a PIN is asked for; found or not, the next
            # words are the same PIN question.
            await self._exists(step, customer_id)
        try:
            if await self.deps.pin_lockout.is_locked(await self._subjects(step, customer_id)):
                return await step.replace_dialog(_LOCKED)
        except (StorageUnavailableError, TurnLockTimeout):
            return await self._lockout_unavailable(step)
        return await self.ask(step, PIN_PROMPT, "identify.ask_pin", "identify.bad_pin_format")

    async def _verify_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        options = step.options or {}
        pin: str | None = step.result
        customer_id: str = step.values["customer_id"]
        if pin is not None:
            subjects = await self._subjects(step, customer_id)
            try:
                attempt = await self.deps.pin_lockout.begin(subjects)
            except (StorageUnavailableError, TurnLockTimeout):
                return await self._lockout_unavailable(step)
            if not attempt.allowed:
                return await step.replace_dialog(_LOCKED)
            first_name = await self._check_pin(step, customer_id, pin)
            if first_name is not None:
                await self.deps.pin_lockout.succeeded(subjects[0])
                await self._verified(step, customer_id, first_name)
                return await step.end_dialog(True)
            if attempt.locking:
                await self._record_lock(step, customer_id, attempt.locking)
                return await step.replace_dialog(_LOCKED)
        failures = options.get("pin_failures", 0) + 1
        if failures >= self.deps.routing.max_pin_attempts:
            await self.say(step.context, "identify.failed")
            return await step.end_dialog(False)
        await self.say(step.context, "identify.wrong_pin")
        return await step.replace_dialog(_STEPS, {"customer": customer_id, "pin_failures": failures})

    # ---- verification locked: say so and offer an agent ----------------------------------------

    async def _offer_agent_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        minutes = max(1, self.deps.pin_lockout.lock_seconds // 60)
        return await self.ask(
            step, YES_NO_PROMPT, "identify.locked", "confirm.not_understood", minutes=minutes
        )

    async def _offer_answer_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        if step.result is False:
            await self.say(step.context, "identify.locked_declined")
            return await step.end_dialog({UNVERIFIED: True})
        return await step.end_dialog(False)  # yes, or no clear answer: an agent takes over

    # ---- helpers -------------------------------------------------------------------------------

    async def _subjects(self, step: WaterfallStepContext, customer_id: str) -> tuple[LockoutSubject, ...]:
        """The customer's counter; a caller not known by number also counts against the calling number."""
        session = await self.deps.session(step.context)
        known_by_number = session.customer_id == customer_id
        caller = None if known_by_number else session.caller_ref
        return self.deps.pin_lockout.subjects(customer_id, caller)

    async def _check_pin(self, step: WaterfallStepContext, customer_id: str, pin: str) -> str | None:
        """The customer's first name when the PIN is theirs; None for a wrong PIN or an unknown number."""
        session = await self.deps.session(step.context)
        if session.customer_id == customer_id:
            first_name = session.first_name or ""
        else:
            ctx = await self.deps.access(step.context, _INTENT, "get_customer", "identity")
            customer = await self.deps.crm.get_customer(customer_id, ctx)
            if customer is None:
                return None
            first_name = customer.first_name
        ctx = await self.deps.access(step.context, _INTENT, "verify_pin", "credentials")
        return first_name if await self.deps.crm.verify_pin(customer_id, pin, ctx) else None

    async def _verified(self, step: WaterfallStepContext, customer_id: str, first_name: str) -> None:
        """Verified: only now is the caller told what the bank knows (an open query, for one)."""
        session = await self.deps.session(step.context)
        session.customer_id, session.first_name = customer_id, first_name
        session.verified = True
        session.journal.verified = True
        session.journal.customer_id = customer_id
        await self.say(step.context, "identify.verified", first_name=first_name)
        ctx = await self.deps.access(step.context, _INTENT, "get_open_tickets", "tickets")
        try:
            tickets = await self.deps.crm.get_open_tickets(customer_id, ctx)
        except CrmError as error:  # a courtesy: the caller's request goes on without it
            logger.warning("open tickets unavailable after the PIN", extra={"error": type(error).__name__})
            return
        if tickets:
            since = say_weekday_since(tickets[0].opened_at.date(), date.today(), session.locale)
            opened = tickets[0].opened_at.date().isoformat()
            session.journal.note_told("open_ticket", subject=tickets[0].subject, since=opened)
            if _written_in(tickets[0].subject, session.locale):
                await self.say(step.context, "identify.open_ticket", since=since, subject=tickets[0].subject)
            else:  # an English subject inside a Spanish sentence helps nobody; the agent still sees it
                await self.say(step.context, "identify.open_ticket_unnamed", since=since)

    async def _record_lock(
        self, step: WaterfallStepContext, customer_id: str, locked: tuple[LockoutSubject, ...]
    ) -> None:
        """Every lock is an audit entry and a ``PinLockout`` telemetry event (no PIN, no number in either)."""
        session = await self.deps.session(step.context)
        exists = session.customer_id == customer_id or await self._exists(step, customer_id)
        conversation_id = step.context.activity.conversation.id
        for subject in locked:
            entry = AuditEntry(
                actor="voicebot",
                conversation_id=conversation_id,
                customer_id=customer_id if exists else "",
                category=DataCategory.AUTHENTICATION,
                operation=Operation.VERIFY,
                intent=_INTENT,
                outcome="locked",
                detail=f"pin_lockout:{subject.kind}",
            )
            try:
                await self.deps.audit.append(entry)
            except AuditUnavailable:  # the lock itself is stored: the caller is still refused
                logger.error("audit trail unavailable: PIN lockout not recorded")
            self.telemetry_client.track_event(
                LOCKOUT_EVENT,
                {"subject": subject.kind, "lock_seconds": str(self.deps.pin_lockout.lock_seconds)},
            )
        logger.warning("PIN verification locked", extra={"subjects": [s.kind for s in locked]})

    async def _exists(self, step: WaterfallStepContext, customer_id: str) -> bool:
        ctx = await self.deps.access(step.context, _INTENT, "get_customer", "identity")
        return await self.deps.crm.get_customer(customer_id, ctx) is not None

    async def _lockout_unavailable(self, step: WaterfallStepContext) -> DialogTurnResult:
        """The lockout counter cannot be read or written: no PIN is checked uncounted (an agent verifies)."""
        logger.error("PIN lockout store unavailable: verification refused")
        return await step.end_dialog(False)
