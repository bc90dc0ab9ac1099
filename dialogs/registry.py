"""The one table that maps a recognised intent to the dialog that serves it.

To add an intent: add its utterances to cognitiveModels/banking.clu.json, write its dialog in
dialogs/, add its "action.<Intent>" phrase to each locales/*.json, and add one line here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dialogs.base import VoiceDialog
from dialogs.block_card_dialog import BlockCardDialog
from dialogs.card_payment_info_dialog import CardPaymentInfoDialog
from dialogs.check_balance_dialog import CheckBalanceDialog
from dialogs.recent_transactions_dialog import RecentTransactionsDialog
from dialogs.transfer_dialog import TransferDialog
from services.handoff.base import EscalationReason


@dataclass(frozen=True)
class IntentRoute:
    intent: str
    dialog: type[VoiceDialog]
    requires_identity: bool = False
    """Verify the caller (ANI or customer number + PIN) before the dialog starts."""
    options: dict[str, Any] = field(default_factory=dict)
    """Fixed options for the dialog, merged with the recognised entities."""


ROUTES: tuple[IntentRoute, ...] = (
    IntentRoute("CheckBalance", CheckBalanceDialog, requires_identity=True),
    IntentRoute("RecentTransactions", RecentTransactionsDialog, requires_identity=True),
    IntentRoute("BlockCard", BlockCardDialog, requires_identity=True),
    IntentRoute("CardPaymentInfo", CardPaymentInfoDialog, requires_identity=True),
    IntentRoute("ReportFraud", TransferDialog, options={"reason": EscalationReason.FRAUD.value}),
    IntentRoute("TalkToAgent", TransferDialog, options={"reason": EscalationReason.CALLER_REQUEST.value}),
)

ROUTES_BY_INTENT: dict[str, IntentRoute] = {route.intent: route for route in ROUTES}

# Intents that jump the queue in the middle of any dialog.
ESCALATING_INTENTS = frozenset({"TalkToAgent", "ReportFraud"})
