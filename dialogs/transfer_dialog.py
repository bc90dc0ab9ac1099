"""Hands the call to a human: tells the caller, stores the handoff record, emits the transfer."""

from __future__ import annotations

from botbuilder.dialogs import DialogTurnResult, WaterfallDialog, WaterfallStepContext

from adapters.telephony import TELEPHONY_CHANNEL_ID, handoff_event, hang_up, recording_start
from dialogs.base import TRANSFERRED, VoiceDialog
from dialogs.deps import DialogDeps
from services.handoff.base import EscalationReason, HandoffError

_ANNOUNCEMENT = {
    EscalationReason.CALLER_REQUEST: "transfer.agent",
    EscalationReason.FRAUD: "transfer.fraud",
    EscalationReason.NO_MATCH: "transfer.no_match",
    EscalationReason.IDENTIFICATION_FAILED: "transfer.identification",
    EscalationReason.BACKEND_FAILURE: "transfer.backend",
    EscalationReason.NO_INPUT: "transfer.no_input",
    EscalationReason.KNOWLEDGE_GAP: "transfer.knowledge",
}


class TransferDialog(VoiceDialog):
    """Options: ``{"reason": EscalationReason value}``. Ends with ``{"transferred": True}``."""

    def __init__(self, deps: DialogDeps) -> None:
        super().__init__(TransferDialog.__name__, deps)
        self.add_dialog(WaterfallDialog("transfer_steps", [self._transfer_step]))
        self.initial_dialog_id = "transfer_steps"

    async def _transfer_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        options = step.options or {}
        reason = EscalationReason(options.get("reason", EscalationReason.CALLER_REQUEST.value))
        session = await self.deps.session(step.context)
        session.journal.language = session.locale
        try:
            self.deps.handoff.admit(session.journal)
        except HandoffError:  # over the handoff flood limits: no record, no transfer, a clear goodbye
            await self.say_final(step.context, "transfer.unavailable")
            await step.context.send_activity(hang_up())
            session.ended = True
            return await step.end_dialog({TRANSFERRED: False})
        await self.say_final(step.context, _ANNOUNCEMENT[reason])
        if self.deps.recording_enabled:
            await self.say_final(step.context, "transfer.recording_notice")
            session.journal.recording_consent_announced = True
            if step.context.activity.channel_id == TELEPHONY_CHANNEL_ID:  # ACS records through the service
                await step.context.send_activity(recording_start())
        ticket = await self.deps.handoff.escalate(session.journal, reason)
        session.pending_handoff_id = ticket.handoff_id
        session.pending_handoff_reason = reason.value
        await step.context.send_activity(
            handoff_event(
                ticket.target,
                ticket.handoff_id,
                reason.value,
                {
                    "handoffId": ticket.handoff_id,
                    "reason": reason.value,
                    "priority": ticket.priority.value,
                    "summary": ticket.summary,
                },
            )
        )
        return await step.end_dialog({TRANSFERRED: True})
