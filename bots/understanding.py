"""Per-turn understanding, as middleware: key presses gathered, each utterance recognised once,
the language settled, and the call journal kept. The dialogs read the result from turn state."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from botbuilder.core import Middleware, TurnContext
from botbuilder.schema import Activity, ActivityTypes, ResourceResponse

from adapters.telephony import HANDOFF_INITIATE, is_dtmf
from bots.call_start import start_call
from dialogs.call_session import CallSession, LastReply
from dialogs.deps import DialogDeps
from dialogs.prompts import PIN_PROMPT
from dialogs.turn import remember_recognition
from recognizers.base import LANGUAGE_PROPERTY, top_intent
from recognizers.language import hint_language, language_to_follow, requested_language
from services.handoff.journal import DetectedIntent
from services.observability.logging_setup import call_scope
from services.observability.metrics import VoicebotMetrics
from services.observability.stages import mark, stage
from services.privacy.redaction import redact

logger = logging.getLogger(__name__)

DTMF_TERMINATOR = "#"
DTMF_MAX_DIGITS = 4
_DTMF_BUFFER = "_dtmf"
_LOCALE_FOR_LANGUAGE = {"en": "en-US", "es": "es-MX"}


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
                session.journal.add_turn("caller", "[keypad entry]")
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
        for activity in activities:
            if activity.type == ActivityTypes.message and activity.text:
                session.last_reply = LastReply(
                    text=activity.text, speak=activity.speak, input_hint=activity.input_hint
                )
                session.journal.add_turn("bot", redact(activity.text))
            elif activity.type == ActivityTypes.event and activity.name == HANDOFF_INITIATE:
                reason = str((activity.value or {}).get("Reason", "unknown"))
                self.metrics.record_escalation(reason)
                mark("escalation", reason=reason)
        return await send_next()

    async def _awaiting_pin(self, context: TurnContext) -> bool:
        """True when the innermost active dialog is the PIN prompt."""
        state = await self.deps.sessions.dialog_state.get(context)
        while state is not None:
            stack = (
                state.get("dialog_stack") if isinstance(state, dict) else getattr(state, "dialog_stack", [])
            )
            if not stack:
                return False
            top = stack[0]
            top_id = top.get("id") if isinstance(top, dict) else getattr(top, "id", None)
            if top_id == PIN_PROMPT:
                return True
            inner = top.get("state") if isinstance(top, dict) else getattr(top, "state", None)
            state = inner.get("dialogs") if isinstance(inner, dict) else None
        return False

    @staticmethod
    def _collect_dtmf(session: CallSession, keys: str) -> str | None:
        """The telephony channel sends one message per key: deliver at '#' or at 4 digits.
        The ACS path already sends whole sequences, which pass straight through."""
        buffer = session.journal.entities.pop(_DTMF_BUFFER, "") + keys.strip()
        if DTMF_TERMINATOR in buffer or len(buffer) >= DTMF_MAX_DIGITS:
            return buffer.split(DTMF_TERMINATOR)[0]
        session.journal.entities[_DTMF_BUFFER] = buffer
        return None

    def _follow_language(self, session: CallSession, text: str, detected: str) -> None:
        """The first utterance (or the CRM preference) sets the call's language; after that a caller
        who says enough in the other language is answered in it from this turn on."""
        language = detected if not session.language_settled else None
        if session.language_settled:
            language = language_to_follow(text, detected, hint_language(session.locale) or "en")
        if language is not None:
            locale = _LOCALE_FOR_LANGUAGE.get(language, session.locale)
            session.locale = self.deps.replies.catalogue.resolve_locale(locale)
        session.language_settled = True
        session.journal.language = session.locale

    def _asked_for_language(self, context: TurnContext, session: CallSession) -> bool:
        """ "In Spanish, please" / "en inglés, por favor": switch to it explicitly."""
        requested = requested_language(context.activity.text or "")
        if requested is None:
            return False
        session.locale = self.deps.replies.catalogue.resolve_locale(_LOCALE_FOR_LANGUAGE[requested])
        session.language_settled = True
        session.journal.language = session.locale
        return True

    async def _recognise(self, context: TurnContext, session: CallSession) -> None:
        text = context.activity.text or ""
        hint = session.locale if session.language_settled else None
        with stage(self.metrics, "recognizer") as span:
            result = await self.deps.recognizer.recognize_text(text, hint)
            intent, score = top_intent(result)
            span.set_attributes({"voicebot.intent": intent, "voicebot.intent_score": score})
        remember_recognition(context, result)
        self._follow_language(session, text, str((result.properties or {}).get(LANGUAGE_PROPERTY)))
        # An answer to the PIN prompt is the PIN, however it is worded ("one two three four").
        redacted = "[PIN]" if await self._awaiting_pin(context) else redact(text)
        session.journal.add_turn("caller", redacted)
        session.journal.intents.append(DetectedIntent(intent=intent, score=round(score, 3), text=redacted))
        self.metrics.record_intent(intent, score)
        for key, values in (result.entities or {}).items():
            if values and isinstance(values[0], str):
                session.journal.entities[key] = values[0]
        logger.info(
            "recognised", extra={"intent": intent, "score": round(score, 3), "locale": session.locale}
        )
