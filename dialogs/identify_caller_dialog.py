"""Verifies who is calling before any account data: caller number or customer number, then a PIN."""

from __future__ import annotations

from botbuilder.dialogs import DialogTurnResult, WaterfallDialog, WaterfallStepContext

from dialogs.base import VoiceDialog
from dialogs.deps import DialogDeps
from dialogs.prompts import CUSTOMER_NUMBER_PROMPT, PIN_PROMPT

_INTENT = "IdentifyCaller"


class IdentifyCallerDialog(VoiceDialog):
    """Ends with True when the caller is verified, False after too many failures."""

    def __init__(self, deps: DialogDeps) -> None:
        super().__init__(IdentifyCallerDialog.__name__, deps)
        self.add_dialog(
            WaterfallDialog("identify_steps", [self._customer_step, self._pin_step, self._verify_step])
        )
        self.initial_dialog_id = "identify_steps"

    async def _customer_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        session = await self.deps.session(step.context)
        if session.customer_id:
            return await step.next(session.customer_id)
        return await self.ask(
            step, CUSTOMER_NUMBER_PROMPT, "identify.ask_customer_number", "identify.unknown_customer_number"
        )

    async def _pin_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        session = await self.deps.session(step.context)
        options = step.options or {}
        customer_id = step.result
        if customer_id is None:
            return await step.end_dialog(False)
        if not session.customer_id:
            ctx = await self.deps.access(step.context, _INTENT, "get_customer", "identity")
            customer = await self.deps.crm.get_customer(customer_id, ctx)
            if customer is None:
                lookups = options.get("lookups", 0) + 1
                if lookups >= self.deps.routing.max_pin_attempts:
                    await self.say(step.context, "identify.failed")
                    return await step.end_dialog(False)
                await self.say(step.context, "identify.unknown_customer_number")
                return await step.replace_dialog(self.id, {**options, "lookups": lookups})
            session.customer_id, session.first_name = customer.customer_id, customer.first_name
        step.values["customer_id"] = session.customer_id
        return await self.ask(step, PIN_PROMPT, "identify.ask_pin", "identify.bad_pin_format")

    async def _verify_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        session = await self.deps.session(step.context)
        options = step.options or {}
        pin = step.result
        customer_id = step.values["customer_id"]
        if pin is not None:
            ctx = await self.deps.access(step.context, _INTENT, "verify_pin", "credentials")
            if await self.deps.crm.verify_pin(customer_id, pin, ctx):
                session.verified = True
                session.journal.verified = True
                session.journal.customer_id = customer_id
                await self.say(step.context, "identify.verified", first_name=session.first_name or "")
                return await step.end_dialog(True)
        failures = options.get("pin_failures", 0) + 1
        if failures >= self.deps.routing.max_pin_attempts:
            await self.say(step.context, "identify.failed")
            return await step.end_dialog(False)
        await self.say(step.context, "identify.wrong_pin")
        return await step.replace_dialog(self.id, {**options, "pin_failures": failures})
