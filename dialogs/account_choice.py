"""Asks which of the caller's own accounts they mean, naming only the accounts they have."""

from __future__ import annotations

from botbuilder.dialogs import DialogTurnResult, WaterfallStepContext

from dialogs.base import VoiceDialog
from dialogs.prompts import ACCOUNT_PROMPT


class AccountChoice:
    """The "which account?" question shared by the balance and transactions dialogs."""

    def __init__(self, dialog: VoiceDialog, intent: str) -> None:
        self._dialog = dialog
        self._intent = intent

    async def ask_unless_known(self, step: WaterfallStepContext, known: str | None) -> DialogTurnResult:
        if known:
            return await step.next(known)
        dialog = self._dialog
        session = await dialog.deps.session(step.context)
        ctx = await dialog.deps.access(step.context, self._intent, "get_accounts", "account_list")
        accounts = await dialog.deps.crm.get_accounts(session.customer_id or "", ctx)
        kinds = list(dict.fromkeys(a.account_type.value for a in accounts))
        if len(kinds) == 1:
            return await step.next(kinds[0])
        names = [await dialog.label(step.context, f"account.{kind}") for kind in kinds]
        word_or = await dialog.label(step.context, "account.or")
        choices = ", ".join(names[:-1]) + f" {word_or} {names[-1]}" if len(names) > 1 else "".join(names)
        return await dialog.ask(step, ACCOUNT_PROMPT, "account.ask", "account.retry", choices=choices)
