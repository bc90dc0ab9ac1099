"""Per-call memory kept in conversation state: language, identity, last reply and the journal."""

from __future__ import annotations

from botbuilder.core import ConversationState, TurnContext
from pydantic import BaseModel, Field

from locales.languages import default_locale
from services.handoff.journal import CallJournal

_TURN_KEY = "voicebot.call_session"


class LastReply(BaseModel):
    text: str
    speak: str | None = None
    input_hint: str | None = None


class CallSession(BaseModel):
    locale: str = Field(default_factory=default_locale)
    language_settled: bool = False
    """Set after the caller's first utterance (or a known customer's preference): kept for the call."""
    caller_ref: str = ""
    """A keyed pseudonym of the calling number (core/privacy/pseudonym.py): the number is never stored."""
    customer_id: str | None = None
    first_name: str | None = None
    verified: bool = False
    greeted: bool = False
    last_reply: LastReply | None = None
    no_match_count: int = 0
    silence_count: int = 0
    keypad_buffer: str = ""
    """Keys pressed so far on the telephony channel (one message per key), until the entry is complete."""
    pending_handoff_id: str | None = None
    pending_handoff_reason: str | None = None
    """The EscalationReason value of that handoff; read only while ``pending_handoff_id`` is set."""
    ended: bool = False
    outcome_recorded: bool = False
    journal: CallJournal = Field(default_factory=CallJournal)


class SessionAccessor:
    """Loads the CallSession once per turn and writes it back as plain JSON (any Storage can hold it)."""

    def __init__(self, conversation_state: ConversationState) -> None:
        self._state = conversation_state
        self._property = conversation_state.create_property("CallSession")
        self.dialog_state = conversation_state.create_property("DialogState")

    @staticmethod
    def cached(turn_context: TurnContext) -> CallSession | None:
        """The session this turn already loaded, if any (no storage access: safe when the store is down)."""
        cached = turn_context.turn_state.get(_TURN_KEY)
        return cached if isinstance(cached, CallSession) else None

    async def get(self, turn_context: TurnContext) -> CallSession:
        cached = turn_context.turn_state.get(_TURN_KEY)
        if cached is not None:
            return cached
        raw = await self._property.get(turn_context, dict)
        session = CallSession.model_validate(raw or {})
        if not session.journal.conversation_id and turn_context.activity.conversation:
            session.journal.conversation_id = turn_context.activity.conversation.id
        turn_context.turn_state[_TURN_KEY] = session
        return session

    async def flush(self, turn_context: TurnContext) -> None:
        """Copy the turn's session into conversation state (before ``save_changes``)."""
        session = turn_context.turn_state.get(_TURN_KEY)
        if session is not None:
            await self._property.set(turn_context, session.model_dump(mode="json"))
