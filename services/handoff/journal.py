"""The call journal: what the bot learned during a call, kept in conversation state for the handoff."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, Field

from locales.languages import default_locale


class JournalTurn(BaseModel):
    speaker: str  # "caller" | "bot"
    text: str  # already redacted of personal data
    at: datetime = Field(default_factory=lambda: datetime.now(UTC))


class DetectedIntent(BaseModel):
    intent: str
    score: float
    text: str  # the redacted utterance it came from


class CrmLookup(BaseModel):
    operation: str  # e.g. "get_accounts", "block_card"
    data_category: str  # e.g. "balances", "cards"
    at: datetime = Field(default_factory=lambda: datetime.now(UTC))


class ToldFact(BaseModel):
    """Something the bot told the caller, as values (worded for the agent by the console)."""

    kind: str  # "balance" | "card_payment" | "open_ticket"
    values: dict[str, str] = Field(default_factory=dict)
    """Never a PIN, card or phone number: amounts, account kinds, dates, a ticket subject."""
    at: datetime = Field(default_factory=lambda: datetime.now(UTC))


class CallJournal(BaseModel):
    """Everything the agent who picks up should know, without personal values."""

    conversation_id: str = ""
    caller_ref: str = ""
    """Keyed pseudonym of the calling number: per-caller limits count by it (the number is not kept)."""
    phone_masked: str = ""
    """The calling number's last four digits ("•••0123"), all the agent sees of it."""
    language: str = Field(default_factory=default_locale)
    customer_id: str | None = None
    customer_name: str | None = None
    verified: bool = False
    started_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    turns: list[JournalTurn] = Field(default_factory=list)
    intents: list[DetectedIntent] = Field(default_factory=list)
    entities: dict[str, str] = Field(default_factory=dict)
    crm_lookups: list[CrmLookup] = Field(default_factory=list)
    told: list[ToldFact] = Field(default_factory=list)
    """What the bot already told the caller, so the agent does not say it again."""
    dialog_step: str = ""
    no_match_count: int = 0
    recording_consent_announced: bool = False
    """True once the "this call may be recorded" announcement was played to the caller."""
    call_connection_id: str = ""
    """ACS call connection id (empty on the telephony channel); recording starts on it."""
    server_call_id: str = ""
    """ACS server call id: RecordingFileStatusUpdated names the call by it."""
    handoff_id: str | None = None
    """Set by the handoff service when the call is escalated."""

    MAX_TURNS: int = 20

    def note_told(self, kind: str, **values: str) -> None:
        self.told.append(ToldFact(kind=kind, values=values))
        del self.told[: -self.MAX_TURNS]

    def add_turn(self, speaker: str, text: str) -> None:
        self.turns.append(JournalTurn(speaker=speaker, text=text))
        del self.turns[: -self.MAX_TURNS]
