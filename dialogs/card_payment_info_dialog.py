"""Reads the credit card statement balance, minimum payment and due date."""

from __future__ import annotations

from botbuilder.dialogs import DialogTurnResult, WaterfallDialog, WaterfallStepContext

from dialogs.base import VoiceDialog
from dialogs.deps import DialogDeps
from locales.formatting import say_amount, say_date

_INTENT = "CardPaymentInfo"


class CardPaymentInfoDialog(VoiceDialog):
    def __init__(self, deps: DialogDeps) -> None:
        super().__init__(CardPaymentInfoDialog.__name__, deps)
        self.add_dialog(WaterfallDialog("payment_steps", [self._read_step]))
        self.initial_dialog_id = "payment_steps"

    async def _read_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        session = await self.deps.session(step.context)
        ctx = await self.deps.access(step.context, _INTENT, "get_card_statement", "card_statement")
        statement = await self.deps.crm.get_card_statement(session.customer_id or "", ctx)
        if statement is None:
            await self.say(step.context, "payment.none")
            return await step.end_dialog()
        locale = session.locale
        session.journal.note_told(
            "card_payment",
            balance=f"{statement.statement_balance:,.2f}",
            minimum=f"{statement.minimum_payment:,.2f}",
            currency=statement.currency,
            due_date=statement.due_date.isoformat(),
        )
        await self.say(
            step.context,
            "payment.read",
            balance=say_amount(statement.statement_balance, statement.currency, locale),
            minimum=say_amount(statement.minimum_payment, statement.currency, locale),
            due_date=say_date(statement.due_date, locale),
        )
        return await step.end_dialog()
