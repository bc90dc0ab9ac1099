"""The one catalogue of intents: each maps to the dialog that serves it, or is a command MainDialog
answers itself. The recognizers get the names from here (``registered_intents()``) and reject a CLU
project file that declares other intents.

To add an intent: add its utterances to cognitiveModels/banking.clu.json, write its dialog in
dialogs/, add its "action.<Intent>" phrase to each locales/*.json, and add one line to ROUTES.
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
from recognizers.base import NONE_INTENT
from services.handoff.base import EscalationReason


@dataclass(frozen=True)
class IntentRoute:
    intent: str
    dialog: type[VoiceDialog]
    requires_identity: bool = False
    """Verify the caller (ANI or customer number + PIN) before the dialog starts."""
    options: dict[str, Any] = field(default_factory=dict)
    """Fixed options for the dialog, merged with the recognised entities."""
    escalates: bool = False
    """Jumps the queue in the middle of any dialog (an agent, a fraud report)."""


ROUTES: tuple[IntentRoute, ...] = (
    IntentRoute("CheckBalance", CheckBalanceDialog, requires_identity=True),
    IntentRoute("RecentTransactions", RecentTransactionsDialog, requires_identity=True),
    IntentRoute("BlockCard", BlockCardDialog, requires_identity=True),
    IntentRoute("CardPaymentInfo", CardPaymentInfoDialog, requires_identity=True),
    IntentRoute(
        "ReportFraud", TransferDialog, options={"reason": EscalationReason.FRAUD.value}, escalates=True
    ),
    IntentRoute(
        "TalkToAgent",
        TransferDialog,
        options={"reason": EscalationReason.CALLER_REQUEST.value},
        escalates=True,
    ),
)

COMMAND_INTENTS: tuple[str, ...] = ("Cancel", "Help", "Repeat", "Goodbye")
"""Intents MainDialog answers itself, in the middle of any dialog too (no dialog of their own)."""


def route_for(intent: str) -> IntentRoute | None:
    """The route serving ``intent``; None for a command, None or an unknown name."""
    # Read at call time (a handful of routes): ROUTES stays the only table, no copy to keep in step.
    return next((route for route in ROUTES if route.intent == intent), None)


def registered_intents() -> tuple[str, ...]:
    """Every intent the recognizers must know: the routed ones, the commands, and CLU's None."""
    return (*(route.intent for route in ROUTES), *COMMAND_INTENTS, NONE_INTENT)
