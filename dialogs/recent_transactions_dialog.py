"""Reads the last few transactions of one account (five unless the caller asked for a number)."""

from __future__ import annotations

from decimal import Decimal

from botbuilder.dialogs import DialogTurnResult, WaterfallDialog, WaterfallStepContext

from dialogs.account_choice import AccountChoice
from dialogs.base import VoiceDialog
from dialogs.deps import DialogDeps
from locales.formatting import say_amount, say_date
from recognizers.base import ENTITY_ACCOUNT_TYPE, ENTITY_NUMBER
from services.crm.models import AccountType

_INTENT = "RecentTransactions"
DEFAULT_COUNT = 5
MAX_COUNT = 10


class RecentTransactionsDialog(VoiceDialog):
    def __init__(self, deps: DialogDeps) -> None:
        super().__init__(RecentTransactionsDialog.__name__, deps)
        self.accounts = AccountChoice(self, _INTENT)
        self.add_dialog(WaterfallDialog("transactions_steps", [self._which_account_step, self._read_step]))
        self.initial_dialog_id = "transactions_steps"

    async def _which_account_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        return await self.accounts.ask_unless_known(step, (step.options or {}).get(ENTITY_ACCOUNT_TYPE))

    @staticmethod
    def _count(options: dict) -> int:
        try:
            asked = int(Decimal(str(options.get(ENTITY_NUMBER) or DEFAULT_COUNT)))
        except ArithmeticError:
            asked = DEFAULT_COUNT
        return max(1, min(asked, MAX_COUNT))

    async def _read_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        if step.result is None:
            return await self.end_unserved(step)
        account_type = AccountType(step.result)
        session = await self.deps.session(step.context)
        locale = session.locale
        name = await self.label(step.context, f"account.{account_type.value}")
        ctx = await self.deps.access(step.context, _INTENT, "get_transactions", "transactions")
        transactions = await self.deps.crm.get_transactions(
            session.customer_id or "", account_type, self._count(step.options or {}), ctx
        )
        if not transactions:
            await self.say(step.context, "transactions.none", account=name)
            return await step.end_dialog()
        replies = self.deps.replies
        sentences = [replies.text(locale, "transactions.header", count=len(transactions), account=name)]
        for item in transactions:
            key = "transactions.item_out" if item.amount < 0 else "transactions.item_in"
            sentences.append(
                replies.text(
                    locale,
                    key,
                    date=say_date(item.posted_on, locale),
                    description=item.description,
                    amount=say_amount(item.amount, item.currency, locale),
                )
            )
        await step.context.send_activity(replies.message(locale, " ".join(sentences)))
        return await step.end_dialog()
