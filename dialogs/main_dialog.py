"""Routes each caller request by confidence, handles interruptions, and turns failures into a handoff."""

from __future__ import annotations

import logging
from typing import Any

from botbuilder.core import RecognizerResult, TurnContext
from botbuilder.dialogs import (
    DialogContext,
    DialogTurnResult,
    DialogTurnStatus,
    WaterfallDialog,
    WaterfallStepContext,
)

from adapters.telephony import hang_up
from dialogs import holding, registry
from dialogs.arbitration import Decision, arbitrate
from dialogs.base import ESCALATE, NO_MATCH, TRANSFERRED, VoiceDialog
from dialogs.deps import DialogDeps
from dialogs.holding import is_holding
from dialogs.identify_caller_dialog import UNVERIFIED, IdentifyCallerDialog
from dialogs.knowledge_dialog import KnowledgeDialog
from dialogs.new_request import NOT_FOR_QUESTIONS, asks_something, innermost_dialog_id, is_new_request
from dialogs.prompts import YES_NO_PROMPT
from dialogs.registry import COMMAND_INTENTS, IntentRoute, route_for
from dialogs.spoken_answers import yes_or_no
from dialogs.transfer_dialog import TransferDialog
from dialogs.turn import recognition
from recognizers.base import top_intent
from services.crm.base import CrmError
from services.handoff.base import EscalationReason
from services.knowledge.base import KnowledgeError

logger = logging.getLogger(__name__)

_PLAN = "plan"


class MainDialog(VoiceDialog):
    """Started for each new request; options ``{"escalate": reason}`` go straight to an agent."""

    def __init__(self, deps: DialogDeps) -> None:
        super().__init__(MainDialog.__name__, deps)
        self.add_dialog(IdentifyCallerDialog(deps))
        self.add_dialog(KnowledgeDialog(deps))
        for dialog_class in dict.fromkeys((*(route.dialog for route in registry.ROUTES), TransferDialog)):
            self.add_dialog(dialog_class(deps))
        self.add_dialog(
            WaterfallDialog(
                "main_steps",
                [
                    self._plan_step,
                    self._identity_step,
                    self._run_step,
                    self._follow_up_step,
                    self._close_step,
                ],
            )
        )
        self.initial_dialog_id = "main_steps"

    # ---- the request waterfall -------------------------------------------------------------

    async def _plan_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        options = step.options or {}
        if options.get(ESCALATE):
            return await self._begin_plan(step, self._transfer_plan(options[ESCALATE]))
        result = recognition(step.context)
        if result is None:
            return await self._no_match(step)
        if is_holding(await self.deps.session(step.context)):
            return await self._while_holding(step, result)
        answer = yes_or_no(result.text or "")
        if answer is not None and len((result.text or "").split()) <= 3:
            # A bare yes/no answers "anything else?": yes -> ask what, no -> goodbye.
            await self._run_command(step.context, "More" if answer else "Goodbye")
            return await step.end_dialog()
        intent, score = top_intent(result)
        routing = self.deps.routing
        command = intent in COMMAND_INTENTS and not self._question_not_command(intent, score, result.text)
        if command and score >= routing.confirm_threshold:
            await self._run_command(step.context, intent)
            return await step.end_dialog()
        route = route_for(intent)
        decision = Decision.KNOWLEDGE
        if route is not None:
            decision = await self._arbitrate(step.context, route, result.text or "", score)
        if route is not None and decision is Decision.RUN:
            return await self._begin_plan(step, self._route_plan(route, result.entities))
        if route is not None and decision is Decision.CONFIRM:
            step.values[_PLAN] = self._route_plan(route, result.entities)
            action = await self.label(step.context, f"action.{intent}")
            return await self.ask(
                step, YES_NO_PROMPT, "confirm.intent", "confirm.not_understood", action=action
            )
        return await self._begin_plan(
            step,
            {"dialog": KnowledgeDialog.__name__, "options": {"question": result.text}, "identity": False},
        )

    async def _while_holding(self, step: WaterfallStepContext, result: RecognizerResult) -> DialogTurnResult:
        """Waiting for an agent (dialogs/holding.py): a question is answered, a new request deferred to the
        agent, anything else (another transfer, goodbye, cancel) meets a reminder to stay on the line."""
        session = await self.deps.session(step.context)
        text = result.text or ""
        intent, score = top_intent(result)
        route = route_for(intent)
        if route is not None and score >= self.deps.routing.high_threshold:
            if await self._arbitrate(step.context, route, text, score) is not Decision.KNOWLEDGE:
                await self.say(
                    step.context, holding.reminder(session) if route.escalates else holding.deferral(session)
                )
                return await step.end_dialog()
        elif not asks_something(text):
            await self.say(step.context, holding.reminder(session))
            return await step.end_dialog()
        options = {"question": text, holding.HOLDING: True}
        return await self._begin_plan(
            step, {"dialog": KnowledgeDialog.__name__, "options": options, "identity": False}
        )

    async def _identity_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        plan = step.values[_PLAN]
        if step.result is False:
            await self.say(step.context, "confirm.declined")
            return await step.end_dialog()
        if step.result is None:
            return await self._no_match(step)
        if plan.get(NO_MATCH):
            return await step.next(True)
        session = await self.deps.session(step.context)
        if plan["identity"] and not session.verified:
            return await step.begin_dialog(IdentifyCallerDialog.__name__)
        return await step.next(True)

    async def _run_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        if step.result is False:
            plan = self._transfer_plan(EscalationReason.IDENTIFICATION_FAILED.value)
        elif isinstance(step.result, dict) and step.result.get(UNVERIFIED):
            return await step.next({})  # PIN locked and no agent wanted: "anything else?"
        else:
            plan = step.values[_PLAN]
        if plan.get(NO_MATCH):
            return await step.next({NO_MATCH: True})
        session = await self.deps.session(step.context)
        session.journal.dialog_step = plan["dialog"]
        return await step.begin_dialog(plan["dialog"], plan["options"])

    async def _follow_up_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        outcome: dict[str, Any] = step.result if isinstance(step.result, dict) else {}
        session = await self.deps.session(step.context)
        if outcome.get(ESCALATE):
            return await step.begin_dialog(TransferDialog.__name__, {"reason": outcome[ESCALATE]})
        if outcome.get(NO_MATCH):
            session.no_match_count += 1
            session.journal.no_match_count = session.no_match_count
            if session.no_match_count >= self.deps.routing.max_no_match:
                return await step.begin_dialog(
                    TransferDialog.__name__, {"reason": EscalationReason.NO_MATCH.value}
                )
        elif not outcome.get(TRANSFERRED):
            session.no_match_count = 0
        return await step.next(outcome)

    async def _close_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        outcome = step.result if isinstance(step.result, dict) else {}
        session = await self.deps.session(step.context)
        # A no-match was already answered by whoever produced it, with words that invite a retry.
        if outcome.get(TRANSFERRED) or outcome.get(NO_MATCH) or session.ended:
            return await step.end_dialog(outcome)
        if is_holding(session):  # an answer given while waiting for the agent: still on the line
            await self.say(step.context, holding.reminder(session))
            return await step.end_dialog(outcome)
        await step.context.send_activity(self.deps.replies.ask(session.locale, "anything_else"))
        return await step.end_dialog(outcome)

    # ---- helpers ---------------------------------------------------------------------------

    @staticmethod
    def _route_plan(route: IntentRoute, entities: dict[str, Any] | None) -> dict[str, Any]:
        found = {
            key: values[0] for key, values in (entities or {}).items() if values and not key.startswith("$")
        }
        return {
            "dialog": route.dialog.__name__,
            "options": {**found, **route.options},
            "identity": route.requires_identity,
        }

    async def _arbitrate(
        self, turn_context: TurnContext, route: IntentRoute, text: str, score: float
    ) -> Decision:
        """The routing rule (dialogs/arbitration.py), with a knowledge outage meaning "no strong match"."""
        session = await self.deps.session(turn_context)
        routing = self.deps.routing
        customer_data = route.requires_identity
        try:
            decision = await arbitrate(
                self.deps.knowledge, text, session.locale, score, routing, acts_on_customer_data=customer_data
            )
        except KnowledgeError as error:
            logger.warning("knowledge arbitration skipped", extra={"error": type(error).__name__})
            decision = await arbitrate(
                None, text, session.locale, score, routing, acts_on_customer_data=customer_data
            )
        if decision is Decision.KNOWLEDGE and score >= routing.confirm_threshold:
            logger.info("knowledge answer preferred", extra={"intent": route.intent})
        elif decision is Decision.CONFIRM and score >= routing.high_threshold:
            logger.info("rules question confirmed first", extra={"intent": route.intent})
        return decision

    @staticmethod
    def _transfer_plan(reason: str) -> dict[str, Any]:
        return {"dialog": TransferDialog.__name__, "options": {"reason": reason}, "identity": False}

    async def _begin_plan(self, step: WaterfallStepContext, plan: dict[str, Any]) -> DialogTurnResult:
        step.values[_PLAN] = plan
        return await step.next(True)

    async def _no_match(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Say so (unless this is the last straw) and let the follow-up step count it."""
        step.values[_PLAN] = {NO_MATCH: True}
        session = await self.deps.session(step.context)
        if session.no_match_count + 1 < self.deps.routing.max_no_match:
            await self.say(step.context, "no_match")
        return await step.next(True)

    async def _run_command(self, turn_context: TurnContext, intent: str) -> None:
        session = await self.deps.session(turn_context)
        replies = self.deps.replies
        if intent == "Help":
            await turn_context.send_activity(replies.ask(session.locale, "help"))
        elif intent == "Cancel":
            await turn_context.send_activity(replies.ask(session.locale, "cancelled"))
        elif intent == "Repeat":
            await self._repeat(turn_context)
        elif intent == "More":
            await turn_context.send_activity(replies.ask(session.locale, "how_can_i_help"))
        elif intent == "Goodbye":
            await turn_context.send_activity(replies.final(session.locale, "goodbye"))
            await turn_context.send_activity(hang_up())
            session.ended = True

    async def _repeat(self, turn_context: TurnContext) -> None:
        session = await self.deps.session(turn_context)
        last = session.last_reply
        if last is None:
            await turn_context.send_activity(self.deps.replies.ask(session.locale, "nothing_to_repeat"))
            return
        activity = self.deps.replies.message(session.locale, last.text, last.input_hint or "expectingInput")
        await turn_context.send_activity(activity)

    # ---- interruptions and failures --------------------------------------------------------

    async def on_begin_dialog(self, inner_dc: DialogContext, options: object) -> DialogTurnResult:
        try:
            return await super().on_begin_dialog(inner_dc, options)
        except CrmError as error:
            return await self._backend_failed(inner_dc, error)

    async def on_continue_dialog(self, inner_dc: DialogContext) -> DialogTurnResult:
        try:
            interrupted = await self._interrupt(inner_dc)
            if interrupted is not None:
                return interrupted
            return await super().on_continue_dialog(inner_dc)
        except CrmError as error:
            return await self._backend_failed(inner_dc, error)

    async def _interrupt(self, inner_dc: DialogContext) -> DialogTurnResult | None:
        """Global commands in the middle of any dialog: help, repeat, cancel, goodbye, agent, fraud."""
        result = recognition(inner_dc.context)
        if result is None or inner_dc.active_dialog is None:
            return None
        intent, score = top_intent(result)
        route = route_for(intent)
        escalating = route is not None and route.escalates
        command = (
            intent in COMMAND_INTENTS
            and yes_or_no(result.text or "") is None
            and not self._question_not_command(intent, score, result.text)
        )
        if score < self.deps.routing.high_threshold or not (escalating or command):
            return await self._new_request(inner_dc)
        session = await self.deps.session(inner_dc.context)
        session.journal.dialog_step = inner_dc.active_dialog.id
        if intent == "Help":
            await self._run_command(inner_dc.context, intent)
            await inner_dc.reprompt_dialog()
            return DialogTurnResult(DialogTurnStatus.Waiting)
        if intent == "Repeat":
            await self._repeat(inner_dc.context)
            return DialogTurnResult(DialogTurnStatus.Waiting)
        await inner_dc.cancel_all_dialogs()
        if route is not None and route.escalates:
            return await inner_dc.begin_dialog(TransferDialog.__name__, {"reason": route.options["reason"]})
        await self._run_command(inner_dc.context, intent)
        return DialogTurnResult(DialogTurnStatus.Complete)

    def _question_not_command(self, intent: str, score: float, text: str | None) -> bool:
        """A question is never a goodbye or a cancel, nor a command the recognizer was unsure of."""
        if not asks_something(text or ""):
            return False
        return intent in NOT_FOR_QUESTIONS or score < self.deps.routing.high_threshold

    async def _new_request(self, inner_dc: DialogContext) -> DialogTurnResult | None:
        """At a prompt, a caller who asks for something else is served that, not asked the prompt again."""
        steps = inner_dc.stack[-1] if inner_dc.stack else None
        plan = (steps.state.get("values") or {}).get(_PLAN) if steps and steps.id == "main_steps" else None
        in_progress = (plan or {}).get("dialog")
        prompt = innermost_dialog_id(inner_dc)
        if not is_new_request(inner_dc.context, prompt, in_progress, self.deps.routing.high_threshold):
            return None
        await inner_dc.cancel_all_dialogs()
        return await inner_dc.begin_dialog("main_steps")

    async def _backend_failed(self, inner_dc: DialogContext, error: CrmError) -> DialogTurnResult:
        logger.error("customer-data backend failed", extra={"error": type(error).__name__})
        await inner_dc.cancel_all_dialogs()
        await self.say(inner_dc.context, "error.backend")
        return await inner_dc.begin_dialog(
            TransferDialog.__name__, {"reason": EscalationReason.BACKEND_FAILURE.value}
        )
