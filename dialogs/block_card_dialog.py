"""Blocks a lost or stolen card after an explicit yes, then reads the reference number."""

from __future__ import annotations

from botbuilder.dialogs import DialogTurnResult, WaterfallDialog, WaterfallStepContext

from dialogs.base import VoiceDialog
from dialogs.deps import DialogDeps
from dialogs.prompts import CARD_PROMPT, YES_NO_PROMPT
from locales.formatting import spell_out
from recognizers.base import ENTITY_CARD_TYPE
from services.crm.models import CardType

_INTENT = "BlockCard"


class BlockCardDialog(VoiceDialog):
    def __init__(self, deps: DialogDeps) -> None:
        super().__init__(BlockCardDialog.__name__, deps)
        self.add_dialog(
            WaterfallDialog("block_steps", [self._which_card_step, self._confirm_step, self._block_step])
        )
        self.initial_dialog_id = "block_steps"

    async def _which_card_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        known = (step.options or {}).get(ENTITY_CARD_TYPE)
        if known:
            return await step.next(known)
        return await self.ask(step, CARD_PROMPT, "card.ask", "card.retry")

    async def _confirm_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        if step.result is None:
            return await self.end_unserved(step)
        card_type = CardType(step.result)
        session = await self.deps.session(step.context)
        ctx = await self.deps.access(step.context, _INTENT, "get_cards", "cards")
        cards = await self.deps.crm.get_cards(session.customer_id or "", ctx)
        card = next((c for c in cards if c.card_type is card_type), None)
        name = await self.label(step.context, f"card.{card_type.value}")
        if card is None:
            await self.say(step.context, "card.none", card=name)
            return await step.end_dialog()
        if card.status == "blocked":
            await self.say(step.context, "block.already", card=name, last4=spell_out(card.last4))
            return await step.end_dialog()
        step.values.update(card_type=card_type.value, card=name, last4=card.last4)
        session.journal.entities["card_type"] = card_type.value
        return await self.ask(
            step,
            YES_NO_PROMPT,
            "block.confirm",
            "confirm.not_understood",
            card=name,
            last4=spell_out(card.last4),
        )

    async def _block_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        if step.result is not True:
            await self.say(step.context, "block.kept")
            return await step.end_dialog()
        session = await self.deps.session(step.context)
        ctx = await self.deps.access(step.context, _INTENT, "block_card", "cards")
        reference = await self.deps.crm.block_card(
            session.customer_id or "", CardType(step.values["card_type"]), ctx
        )
        session.journal.entities["block_reference"] = reference
        await self.say(
            step.context,
            "block.done",
            card=step.values["card"],
            last4=spell_out(step.values["last4"]),
            reference=spell_out(reference),
        )
        return await step.end_dialog()
