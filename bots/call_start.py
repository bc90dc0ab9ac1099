"""The start of a call: who is calling (ANI identifies, the PIN later authenticates) and the greeting."""

from __future__ import annotations

import logging

from botbuilder.core import TurnContext

from adapters.acs.channel_data import acs_call_ids
from adapters.telephony import caller_number
from dialogs.call_session import CallSession
from dialogs.deps import DialogDeps
from services.crm.base import CrmError
from services.crm.models import AccessContext
from services.crm.phone import normalize_e164
from services.handoff.models import mask_phone

logger = logging.getLogger(__name__)

GREETING_PROMPT = "greeting.unknown"
"""The greeting of a caller the CRM does not know (a known caller's carries a name): fixed, so app.py
renders it before the app serves and every caller of a cold bot hears it at once."""


async def start_call(deps: DialogDeps, turn_context: TurnContext, session: CallSession, greet: bool) -> None:
    """Look the caller's number up in the CRM, settle the language, and greet when asked to."""
    catalogue = deps.replies.catalogue
    session.greeted = True
    session.locale = catalogue.resolve_locale(turn_context.activity.locale)
    # The number is used here and never stored: state keeps a keyed pseudonym and the last four digits.
    phone = normalize_e164(caller_number(turn_context.activity)) or ""
    session.caller_ref = session.journal.caller_ref = deps.caller_pseudonyms.of(phone)
    session.journal.phone_masked = mask_phone(phone)
    # On an ACS phone call: the ids recording starts on, and its finished file is reported by.
    journal = session.journal
    journal.call_connection_id, journal.server_call_id = acs_call_ids(turn_context.activity.channel_data)
    ctx = AccessContext(conversation_id=turn_context.activity.conversation.id, intent="CallStart")
    try:
        customer = await deps.crm.find_customer_by_phone(phone, ctx) if phone else None
    except CrmError as error:
        # The CRM has no embedded twin: greet as an unknown caller; a request that needs customer data
        # gets the apology and the transfer (MainDialog), one that does not is still served.
        logger.warning("caller lookup failed at call start", extra={"error": type(error).__name__})
        customer = None
    if customer is None:
        if greet:
            await turn_context.send_activity(deps.replies.ask(session.locale, GREETING_PROMPT))
        return
    session.customer_id, session.first_name = customer.customer_id, customer.first_name
    session.journal.customer_id = customer.customer_id
    session.journal.customer_name = f"{customer.first_name} {customer.last_name}"
    session.locale = catalogue.resolve_locale(customer.language)
    session.language_settled = True
    session.journal.language = session.locale
    if greet:
        # Caller ID can be spoofed: before the PIN, the first name at most (open queries come after it).
        await turn_context.send_activity(
            deps.replies.ask(session.locale, "greeting.known", first_name=customer.first_name)
        )
