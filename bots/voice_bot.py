"""The call-facing bot: greets, recognises each utterance once, runs the dialogs, keeps the journal."""

from __future__ import annotations

import logging

from botbuilder.core import ActivityHandler, ConversationState, TurnContext, UserState
from botbuilder.dialogs import Dialog, DialogExtensions, DialogSet
from botbuilder.schema import ChannelAccount

from adapters.telephony import SILENCE_TIMEOUT, SPEECH_UNRECOGNISED, handoff_failed, hang_up, recording_result
from bots.call_start import start_call
from bots.understanding import TurnUnderstanding
from core.observability.logging_setup import call_scope
from core.observability.metrics import VoicebotMetrics
from core.observability.stages import mark, stage
from dialogs import holding
from dialogs.base import ESCALATE
from dialogs.call_session import CallSession
from dialogs.deps import DialogDeps
from services.handoff.base import CallOutcome, EscalationReason

logger = logging.getLogger(__name__)

MAX_SILENCE_REPROMPTS = 2


class VoiceBot(ActivityHandler):
    def __init__(
        self,
        deps: DialogDeps,
        main_dialog: Dialog,
        conversation_state: ConversationState,
        user_state: UserState,
        metrics: VoicebotMetrics | None = None,
    ) -> None:
        self.deps = deps
        self.main_dialog = main_dialog
        self.conversation_state = conversation_state
        self.user_state = user_state
        self.dialog_state = conversation_state.create_property("DialogState")
        self.metrics = metrics or VoicebotMetrics()
        self.understanding = TurnUnderstanding(deps, self.metrics)

    async def on_turn(self, turn_context: TurnContext) -> None:
        conversation = turn_context.activity.conversation
        call_id = conversation.id if conversation else "-"
        kind = {"voicebot.activity_type": str(turn_context.activity.type)}
        try:
            with call_scope(call_id), stage(self.metrics, "turn", attributes=kind):
                await self._turn(turn_context)
        finally:
            await self.deps.sessions.flush(turn_context)
            await self.conversation_state.save_changes(turn_context)
            await self.user_state.save_changes(turn_context)

    async def _turn(self, turn_context: TurnContext) -> None:
        await self.understanding.on_turn(turn_context, lambda: super(VoiceBot, self).on_turn(turn_context))
        session = await self.deps.session(turn_context)
        if session.ended and not session.outcome_recorded:
            # The bot said goodbye and hung up: the caller was served without an agent.
            await self._record_outcome(turn_context, session, CallOutcome.CONTAINED)

    # ---- call start --------------------------------------------------------------------------

    async def on_members_added_activity(
        self, members_added: list[ChannelAccount], turn_context: TurnContext
    ) -> None:
        recipient_id = turn_context.activity.recipient.id if turn_context.activity.recipient else None
        if not any(member.id != recipient_id for member in members_added):
            return
        session = await self.deps.session(turn_context)
        if session.greeted:
            return
        self.metrics.call_started()
        await start_call(self.deps, turn_context, session, greet=True)

    # ---- caller turns ------------------------------------------------------------------------

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        """Understanding (recognition, key presses, journal) already ran in ``self.understanding``."""
        await DialogExtensions.run_dialog(self.main_dialog, turn_context, self.dialog_state)

    # ---- channel and pipeline events -----------------------------------------------------------

    async def on_event_activity(self, turn_context: TurnContext) -> None:
        session = await self.deps.session(turn_context)
        failure = handoff_failed(turn_context.activity)
        if failure is not None:
            await self._transfer_failed(turn_context, session, failure)
        elif turn_context.activity.name == SILENCE_TIMEOUT:
            await self._silence(turn_context, session)
        elif turn_context.activity.name == SPEECH_UNRECOGNISED:
            await self._unrecognised(turn_context, session)

    async def _transfer_failed(self, turn_context: TurnContext, session: CallSession, message: str) -> None:
        logger.warning("transfer failed", extra={"handoff_id": session.pending_handoff_id})
        if session.pending_handoff_id:
            await self.deps.handoff.transfer_failed(session.pending_handoff_id, message)
        session.pending_handoff_id = None
        await turn_context.send_activity(self.deps.replies.say(session.locale, "transfer.failed"))
        await turn_context.send_activity(self.deps.replies.ask(session.locale, "anything_else"))

    async def _silence(self, turn_context: TurnContext, session: CallSession) -> None:
        """No input after a prompt: re-ask twice, then hand over (mid-task) or say goodbye."""
        session.silence_count += 1
        replies = self.deps.replies
        if session.silence_count <= MAX_SILENCE_REPROMPTS:
            last = session.last_reply
            prompt = last.text if last else replies.text(session.locale, "help")
            await turn_context.send_activity(
                replies.ask(session.locale, "silence.reprompt", last_prompt=prompt)
            )
            session.last_reply = last  # "repeat" still means the prompt, not "are you still there?"
            return
        session.silence_count = 0
        if await self._begin_handoff(turn_context, EscalationReason.NO_INPUT, only_mid_task=True):
            return
        await turn_context.send_activity(replies.final(session.locale, "goodbye"))
        await turn_context.send_activity(hang_up())
        session.ended = True

    async def _unrecognised(self, turn_context: TurnContext, session: CallSession) -> None:
        """The caller keeps speaking and the speech engine keeps failing (or is shed under load): they were
        asked to say it again already; a person is the way on, whatever the bot was doing."""
        if holding.is_holding(session):  # handed over already: no second handoff, still on the line
            await turn_context.send_activity(self.deps.replies.say(session.locale, holding.reminder(session)))
            return
        count = int((turn_context.activity.value or {}).get("count", 1))
        session.journal.no_match_count = max(session.journal.no_match_count, count)
        await self._begin_handoff(turn_context, EscalationReason.NO_MATCH)

    async def _begin_handoff(
        self, turn_context: TurnContext, reason: EscalationReason, *, only_mid_task: bool = False
    ) -> bool:
        """End whatever dialog runs and hand the call to an agent for ``reason``; with ``only_mid_task``, only
        when a dialog was running. True when the handoff began."""
        dialogs = DialogSet(self.dialog_state)
        dialogs.add(self.main_dialog)
        dialog_context = await dialogs.create_context(turn_context)
        if only_mid_task and dialog_context.active_dialog is None:
            return False
        await dialog_context.cancel_all_dialogs()
        await dialog_context.begin_dialog(self.main_dialog.id, {ESCALATE: reason.value})
        return True

    async def on_end_of_conversation_activity(self, turn_context: TurnContext) -> None:
        """The caller hung up (or the transfer completed): record the outcome, forget the dialog."""
        session = await self.deps.session(turn_context)
        state = await self.dialog_state.get(turn_context)  # None when no dialog ever ran on this call
        if session.pending_handoff_id:
            outcome = CallOutcome.TRANSFERRED
        else:
            in_progress = bool(getattr(state, "dialog_stack", None))
            outcome = CallOutcome.ABANDONED if in_progress else CallOutcome.CONTAINED
        session.ended = True
        if state is not None:
            await self.dialog_state.delete(turn_context)
        await self._record_outcome(turn_context, session, outcome)

    async def _record_outcome(
        self, turn_context: TurnContext, session: CallSession, outcome: CallOutcome
    ) -> None:
        """Once per call: the containment / handoff / abandonment figure and the post-call record."""
        if session.outcome_recorded:
            return
        session.outcome_recorded = True
        self.metrics.call_ended(outcome.value)
        mark("call_ended", outcome=outcome.value)
        await self.deps.handoff.call_ended(session.journal, outcome.value)

    async def on_unrecognized_activity_type(self, turn_context: TurnContext) -> None:
        """The telephony channel's answer to a recording command (ActivityHandler does not route it)."""
        result = recording_result(turn_context.activity)
        if result is None:
            logger.info("ignored activity", extra={"activity_type": turn_context.activity.type})
            return
        command, error = result
        mark("recording_command", command=command, outcome=error or "ok")
        if error is None:
            logger.info("telephony recording command done", extra={"command": command})
        else:  # the transfer goes on unrecorded; the operator sees why
            logger.warning("telephony recording command failed", extra={"command": command, "code": error})
