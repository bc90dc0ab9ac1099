"""Voice prompts: free speech (or keys) in, a normalised value out; give up after a few tries."""

from __future__ import annotations

from collections.abc import Callable

from botbuilder.dialogs import ComponentDialog
from botbuilder.dialogs.prompts import PromptValidatorContext, TextPrompt

from dialogs.spoken_answers import customer_number_from, pin_from, yes_or_no
from dialogs.turn import recognition
from recognizers.base import ENTITY_ACCOUNT_TYPE, ENTITY_CARD_TYPE

YES_NO_PROMPT = "yes_no_prompt"
PIN_PROMPT = "pin_prompt"
CUSTOMER_NUMBER_PROMPT = "customer_number_prompt"
ACCOUNT_PROMPT = "account_type_prompt"
CARD_PROMPT = "card_type_prompt"

MAX_PROMPT_ATTEMPTS = 3
"""After this many unusable answers a prompt ends with None and the dialog decides (usually: agent)."""


def _validator(parse: Callable[[PromptValidatorContext], object | None]) -> Callable:
    async def validate(prompt_context: PromptValidatorContext) -> bool:
        value = parse(prompt_context) if prompt_context.recognized.succeeded else None
        if value is not None:
            prompt_context.recognized.value = value
            return True
        if prompt_context.attempt_count >= MAX_PROMPT_ATTEMPTS:
            prompt_context.recognized.value = None
            return True
        return False

    return validate


def _text(prompt_context: PromptValidatorContext) -> str:
    return str(prompt_context.recognized.value or "")


def _entity(key: str) -> Callable[[PromptValidatorContext], object | None]:
    def parse(prompt_context: PromptValidatorContext) -> object | None:
        result = recognition(prompt_context.context)
        values = (result.entities or {}).get(key) if result else None
        return values[0] if values else None

    return parse


def add_voice_prompts(dialog: ComponentDialog) -> None:
    """Register the shared voice prompts on a component dialog."""
    dialog.add_dialog(TextPrompt(YES_NO_PROMPT, _validator(lambda pc: yes_or_no(_text(pc)))))
    dialog.add_dialog(TextPrompt(PIN_PROMPT, _validator(lambda pc: pin_from(_text(pc)))))
    dialog.add_dialog(
        TextPrompt(CUSTOMER_NUMBER_PROMPT, _validator(lambda pc: customer_number_from(_text(pc))))
    )
    dialog.add_dialog(TextPrompt(ACCOUNT_PROMPT, _validator(_entity(ENTITY_ACCOUNT_TYPE))))
    dialog.add_dialog(TextPrompt(CARD_PROMPT, _validator(_entity(ENTITY_CARD_TYPE))))
