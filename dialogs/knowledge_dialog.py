"""Answers questions no business dialog covers from the company's own documents, or offers an agent."""

from __future__ import annotations

import logging

from botbuilder.dialogs import DialogTurnResult, WaterfallDialog, WaterfallStepContext

from core.ratelimit import RateLimitExceeded
from dialogs.base import ESCALATE, NO_MATCH, VoiceDialog
from dialogs.deps import DialogDeps
from dialogs.holding import HOLDING
from dialogs.prompts import YES_NO_PROMPT
from services.handoff.base import EscalationReason
from services.knowledge.base import ConversationTurn, KnowledgeError

HISTORY_TURNS = 6
logger = logging.getLogger(__name__)


class KnowledgeDialog(VoiceDialog):
    """Options: ``{"question": text}``. Ends answered, ``{"no_match": True}`` or ``{"escalate": ...}``."""

    def __init__(self, deps: DialogDeps) -> None:
        super().__init__(KnowledgeDialog.__name__, deps)
        self.add_dialog(WaterfallDialog("knowledge_steps", [self._answer_step, self._offer_agent_step]))
        self.initial_dialog_id = "knowledge_steps"

    async def _answer_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        knowledge = self.deps.knowledge
        if knowledge is None:
            return await step.end_dialog({ESCALATE: EscalationReason.KNOWLEDGE_GAP.value})
        session = await self.deps.session(step.context)
        question = str((step.options or {}).get("question", ""))
        holding = bool((step.options or {}).get(HOLDING))
        history = [
            ConversationTurn(t.speaker, t.text) for t in session.journal.turns[-HISTORY_TURNS - 1 : -1]
        ]
        try:
            async with self.deps.llm_limiter.limit(
                session.caller_ref or step.context.activity.conversation.id
            ):
                answer = await knowledge.answer(question, history, session.locale)
        except (KnowledgeError, RateLimitExceeded) as error:
            # The caller still hears something sensible: no answer, and the offer of an agent.
            logger.warning("knowledge not available", extra={"error": type(error).__name__})
            return await self._decline(step, holding)
        logger.info(
            "knowledge answer",
            extra={"sources": answer.sources, "grounded": answer.grounded, "blocked": answer.blocked},
        )
        if answer.grounded:
            await step.context.send_activity(self.deps.replies.message(session.locale, answer.text))
            return await step.end_dialog()
        if answer.blocked:
            await step.context.send_activity(self.deps.replies.message(session.locale, answer.text))
            return await step.end_dialog({} if holding else {NO_MATCH: True})
        return await self._decline(step, holding)

    async def _decline(self, step: WaterfallStepContext, holding: bool) -> DialogTurnResult:
        """No answer: offer an agent, unless the call is already waiting for one (dialogs/holding.py)."""
        if holding:
            await self.say(step.context, "holding.unknown")
            return await step.end_dialog()
        return await self.ask(step, YES_NO_PROMPT, "knowledge.unknown", "confirm.not_understood")

    async def _offer_agent_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        if step.result is True:
            return await step.end_dialog({ESCALATE: EscalationReason.KNOWLEDGE_GAP.value})
        await self.say(step.context, "knowledge.declined_agent")
        return await step.end_dialog({NO_MATCH: True})
