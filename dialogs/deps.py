"""Everything a dialog needs from outside, handed over once at construction."""

from __future__ import annotations

from dataclasses import dataclass, field

from botbuilder.core import TurnContext

from config import RoutingSettings
from core.privacy.pseudonym import CallerPseudonyms
from core.ratelimit import LanguageModelRateLimiter
from dialogs.call_session import CallSession, SessionAccessor
from dialogs.replies import Replies
from recognizers.base import CallerRecognizer
from services.audit.base import AuditTrail
from services.crm.base import Crm
from services.crm.models import AccessContext
from services.handoff.base import Handoff
from services.handoff.journal import CrmLookup
from services.knowledge.base import Knowledge
from storage.pin_lockout import PinLockout


@dataclass
class DialogDeps:
    replies: Replies
    crm: Crm
    sessions: SessionAccessor
    recognizer: CallerRecognizer
    routing: RoutingSettings
    handoff: Handoff
    pin_lockout: PinLockout
    audit: AuditTrail
    knowledge: Knowledge | None = None
    recording_enabled: bool = False
    llm_limiter: LanguageModelRateLimiter = field(default_factory=LanguageModelRateLimiter)
    caller_pseudonyms: CallerPseudonyms = field(default_factory=CallerPseudonyms)

    async def session(self, turn_context: TurnContext) -> CallSession:
        return await self.sessions.get(turn_context)

    async def access(
        self, turn_context: TurnContext, intent: str, operation: str, category: str
    ) -> AccessContext:
        """The audit context for one CRM call; also notes the lookup in the journal for the agent."""
        session = await self.session(turn_context)
        session.journal.crm_lookups.append(CrmLookup(operation=operation, data_category=category))
        return AccessContext(conversation_id=turn_context.activity.conversation.id, intent=intent)
