"""Reads the balance of one account, asking which one when the caller didn't say."""

from __future__ import annotations

from botbuilder.dialogs import DialogTurnResult, WaterfallDialog, WaterfallStepContext

from dialogs.account_choice import AccountChoice
from dialogs.base import VoiceDialog
from dialogs.deps import DialogDeps
from locales.formatting import say_amount
from recognizers.base import ENTITY_ACCOUNT_TYPE
from services.crm.models import AccountType

_INTENT = "CheckBalance"


class CheckBalanceDialog(VoiceDialog):
    def __init__(self, deps: DialogDeps) -> None:
        super().__init__(CheckBalanceDialog.__name__, deps)
        self.accounts = AccountChoice(self, _INTENT)
        self.add_dialog(WaterfallDialog("balance_steps", [self._which_account_step, self._read_step]))
        self.initial_dialog_id = "balance_steps"

    async def _which_account_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        return await self.accounts.ask_unless_known(step, (step.options or {}).get(ENTITY_ACCOUNT_TYPE))

    async def _read_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        if step.result is None:
            return await self.end_unserved(step)
        account_type = AccountType(step.result)
        session = await self.deps.session(step.context)
        ctx = await self.deps.access(step.context, _INTENT, "get_accounts", "balances")
        accounts = await self.deps.crm.get_accounts(session.customer_id or "", ctx)
        account = next((a for a in accounts if a.account_type is account_type), None)
        name = await self.label(step.context, f"account.{account_type.value}")
        if account is None:
            await self.say(step.context, "account.none", account=name)
            return await step.end_dialog()
        amount = say_amount(account.balance, account.currency, session.locale)
        session.journal.note_told(
            "balance", account=account_type.value, amount=f"{account.balance:,.2f}", currency=account.currency
        )
        key = "balance.read_credit" if account_type is AccountType.CREDIT_CARD else "balance.read"
        await self.say(step.context, key, account=name, amount=amount)
        return await step.end_dialog()
