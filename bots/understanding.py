"""Per-turn understanding, as middleware: key presses gathered, each utterance recognised once,
the language settled, and the call journal kept. The dialogs read the result from turn state."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from botbuilder.core import Middleware, TurnContext
from botbuilder.schema import Activity, ActivityTypes, ResourceResponse

from adapters.acs.call_adapter import CHANNEL_ID as CALL_CHANNEL_ID
from adapters.acs.channel_data import with_caller_state
from adapters.telephony import HANDOFF_INITIATE, is_dtmf
from bots.call_start import start_call
from core.observability.logging_setup import call_scope
from core.observability.metrics import VoicebotMetrics
from core.observability.stages import mark, stage
from core.privacy.entities import safe_entities
from core.privacy.redaction import redact
from dialogs.call_session import CallSession, LastReply
from dialogs.deps import DialogDeps
from dialogs.prompts import ASKED_ENTITIES, CUSTOMER_NUMBER_PROMPT, PIN_PROMPT
from dialogs.spoken_answers import customer_number_from, is_pin_answer
from dialogs.turn import remember_recognition
from locales.languages import code_of, locale_of
from recognizers.base import LANGUAGE_PROPERTY, NONE_INTENT, build_result, top_intent
from recognizers.language import language_to_follow, requested_language
from services.handoff.journal import DetectedIntent

logger = logging.getLogger(__name__)

DTMF_TERMINATOR = "#"


def caller_state(session: CallSession) -> str:
    """What a call's own screen (the softphone) may show: verified by PIN, identified by number, or not."""
    if session.verified:
        return "verified"
    return "identified" if session.customer_id else "unknown"


DTMF_MAX_DIGITS = 4
PIN_PLACEHOLDER = "[PIN]"
CUSTOMER_NUMBER_PLACEHOLDER = "[CUSTOMER_NUMBER]"


class TurnUnderstanding(Middleware):
    def __init__(self, deps: DialogDeps, metrics: VoicebotMetrics | None = None) -> None:
        self.deps = deps
        self.metrics = metrics or VoicebotMetrics()

    async def on_turn(self, context: TurnContext, logic: Callable[[], Awaitable]) -> None:
        conversation = context.activity.conversation
        with call_scope(conversation.id if conversation else "-"):
            await self._understand_and_run(context, logic)

    async def _understand_and_run(self, context: TurnContext, logic: Callable[[], Awaitable]) -> None:
        context.on_send_activities(self._remember_replies)
        if context.activity.type == ActivityTypes.message:
            session = await self.deps.session(context)
            if session.ended:
                return
            if not session.greeted:
                await start_call(self.deps, context, session, greet=False)
            if is_dtmf(context.activity):
                digits = self._collect_dtmf(session, context.activity.text or "")
                if digits is None:
                    await self.deps.sessions.flush(context)
                    return
                context.activity.text = digits
                keyed_pin = await self._awaiting_pin(context)
                session.journal.add_turn("caller", PIN_PLACEHOLDER if keyed_pin else "[keypad entry]")
            else:
                await self._recognise(context, session)
                if self._asked_for_language(context, session):
                    # The caller asked to change language: say yes in it and start over in it (an open
                    # prompt was worded in the other language, and the caller may not have understood it).
                    dialog_state = self.deps.sessions.dialog_state
                    if await dialog_state.get(context) is not None:
                        await dialog_state.delete(context)
                    await context.send_activity(self.deps.replies.ask(session.locale, "language.switched"))
                    await self.deps.sessions.flush(context)
                    return
        await logic()
        await self.deps.sessions.flush(context)

    async def _remember_replies(
        self,
        context: TurnContext,
        activities: list[Activity],
        send_next: Callable[[], Awaitable[list[ResourceResponse]]],
    ) -> list[ResourceResponse]:
        """Keep the last thing said (for "repeat" and silence reprompts) and the bot side of the journal."""
        session = await self.deps.session(context)
        in_call = context.activity.channel_id == CALL_CHANNEL_ID
        for activity in activities:
            if in_call and activity.type == ActivityTypes.message:
                activity.channel_data = with_caller_state(activity.channel_data, caller_state(session))
            if activity.type == ActivityTypes.message and activity.text:
                session.last_reply = LastReply(
                    text=activity.text, speak=activity.speak, input_hint=activity.input_hint
                )
                session.journal.add_turn("bot", redact(activity.text))
            elif activity.type == ActivityTypes.event and activity.name == HANDOFF_INITIATE:
                reason = str((activity.value or {}).get("Reason", "unknown"))
                self.metrics.record_escalation(reason, session.locale)
                mark("escalation", reason=reason)
        return await send_next()

    async def _awaiting_pin(self, context: TurnContext) -> bool:
        return await self._active_prompt(context) == PIN_PROMPT

    async def _active_prompt(self, context: TurnContext) -> str | None:
        """The id of the innermost active dialog (a prompt, when the bot asked a question)."""
        state = await self.deps.sessions.dialog_state.get(context)
        top_id = None
        while state is not None:
            stack = (
                state.get("dialog_stack") if isinstance(state, dict) else getattr(state, "dialog_stack", [])
            )
            if not stack:
                return top_id
            top = stack[0]
            top_id = top.get("id") if isinstance(top, dict) else getattr(top, "id", None)
            inner = top.get("state") if isinstance(top, dict) else getattr(top, "state", None)
            state = inner.get("dialogs") if isinstance(inner, dict) else None
        return top_id

    @staticmethod
    def _collect_dtmf(session: CallSession, keys: str) -> str | None:
        """The telephony channel sends one message per key: deliver at '#' or at 4 digits.
        The ACS path already sends whole sequences, which pass straight through."""
        # Kept in the session, never in the journal: the agent's record must not show keyed digits.
        buffer, session.keypad_buffer = session.keypad_buffer + keys.strip(), ""
        if DTMF_TERMINATOR in buffer or len(buffer) >= DTMF_MAX_DIGITS:
            return buffer.split(DTMF_TERMINATOR)[0]
        session.keypad_buffer = buffer
        return None

    def _follow_language(self, session: CallSession, text: str, detected: str) -> None:
        """The first utterance (or the CRM preference) sets the call's language; after that a caller
        who says enough in the other language is answered in it from this turn on."""
        language = detected if not session.language_settled else None
        if session.language_settled:
            language = language_to_follow(text, detected, code_of(session.locale))
        if language is not None:
            locale = locale_of(language)
            session.locale = self.deps.replies.catalogue.resolve_locale(locale)
        session.language_settled = True
        session.journal.language = session.locale

    def _asked_for_language(self, context: TurnContext, session: CallSession) -> bool:
        """ "In Spanish, please" / "en inglés, por favor": switch to it explicitly."""
        requested = requested_language(context.activity.text or "")
        if requested is None:
            return False
        session.locale = self.deps.replies.catalogue.resolve_locale(locale_of(requested))
        session.language_settled = True
        session.journal.language = session.locale
        return True

    async def _recognise(self, context: TurnContext, session: CallSession) -> None:
        text = context.activity.text or ""
        prompt = await self._active_prompt(context)
        at_pin_prompt = prompt == PIN_PROMPT
        placeholder = _identity_answer(prompt, text)
        if placeholder is not None:
            # A PIN or customer number is not sent to the recognizer (nor taken for a command) and
            # leaves nothing behind but its placeholder in the journal.
            remember_recognition(context, build_result(text, {NONE_INTENT: 1.0}, {}, code_of(session.locale)))
            session.journal.add_turn("caller", placeholder)
            return
        hint = session.locale if session.language_settled else None
        with stage(self.metrics, "recognizer") as span:
            result = await self.deps.recognizer.recognize_text(text, hint)
            intent, score = top_intent(result)
            span.set_attributes({"voicebot.intent": intent, "voicebot.intent_score": score})
        # Entities get the transcripts' redaction; at the PIN prompt none is kept (nor reaches a dialog).
        result.entities = {} if at_pin_prompt else safe_entities(result.entities, text)
        remember_recognition(context, result)
        self._follow_language(session, text, str((result.properties or {}).get(LANGUAGE_PROPERTY)))
        # Words at the PIN prompt that are not a PIN ("quiero hablar con una persona") are what was said.
        redacted = redact(text)
        session.journal.add_turn("caller", redacted)
        session.journal.intents.append(DetectedIntent(intent=intent, score=round(score, 3), text=redacted))
        self.metrics.record_intent(intent, score)
        # The agent sees only the details a dialog asks for (which account, which card).
        for key in ASKED_ENTITIES:
            values = (result.entities or {}).get(key)
            if values and isinstance(values[0], str):
                session.journal.entities[key] = values[0]
        logger.info(
            "recognised", extra={"intent": intent, "score": round(score, 3), "locale": session.locale}
        )


def _identity_answer(prompt: str | None, text: str) -> str | None:
    """The journal placeholder when ``text`` answers an identity prompt, else None (words said)."""
    if prompt == PIN_PROMPT and is_pin_answer(text):
        return PIN_PLACEHOLDER
    if prompt == CUSTOMER_NUMBER_PROMPT and customer_number_from(text) is not None:
        return CUSTOMER_NUMBER_PLACEHOLDER
    return None
