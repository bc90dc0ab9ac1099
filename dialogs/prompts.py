"""Voice prompts: free speech (or keys) in, a normalised value out; give up after a few tries."""

from __future__ import annotations

from collections.abc import Callable

from botbuilder.core import TurnContext
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

ASKED_ENTITIES = (ENTITY_ACCOUNT_TYPE, ENTITY_CARD_TYPE)
"""The details a dialog asks the caller for: the only recognised entities an agent is shown."""

MAX_PROMPT_ATTEMPTS = 3
"""After this many unusable answers a prompt ends with None and the dialog decides (usually: agent)."""

Parse = Callable[[TurnContext], object | None]
"""Reads a prompt's answer from the caller's turn: the normalised value, or None when it is not one."""


def _text(turn_context: TurnContext) -> str:
    return str(turn_context.activity.text or "")


def _entity(key: str) -> Parse:
    def parse(turn_context: TurnContext) -> object | None:
        result = recognition(turn_context)
        values = (result.entities or {}).get(key) if result else None
        return values[0] if values else None

    return parse


PROMPT_ANSWERS: dict[str, Parse] = {
    YES_NO_PROMPT: lambda tc: yes_or_no(_text(tc)),
    PIN_PROMPT: lambda tc: pin_from(_text(tc)),
    CUSTOMER_NUMBER_PROMPT: lambda tc: customer_number_from(_text(tc)),
    ACCOUNT_PROMPT: _entity(ENTITY_ACCOUNT_TYPE),
    CARD_PROMPT: _entity(ENTITY_CARD_TYPE),
}
"""Each shared prompt's parser: the prompt's validator and the new-request check read answers alike."""

OPEN_TO_NEW_REQUESTS = frozenset(
    {YES_NO_PROMPT, PIN_PROMPT, CUSTOMER_NUMBER_PROMPT, ACCOUNT_PROMPT, CARD_PROMPT}
)
"""Prompts at which an utterance that is not an answer but another request or a question is served as
that request (see dialogs/new_request.py). Another prompt opts in by adding its id here."""


def prompt_answer(prompt_id: str, turn_context: TurnContext) -> object | None:
    """What this turn answers to prompt ``prompt_id`` (None when it is not an answer, or no such prompt)."""
    parse = PROMPT_ANSWERS.get(prompt_id)
    return parse(turn_context) if parse is not None else None


def _validator(parse: Parse) -> Callable:
    async def validate(prompt_context: PromptValidatorContext) -> bool:
        value = parse(prompt_context.context) if prompt_context.recognized.succeeded else None
        if value is not None:
            prompt_context.recognized.value = value
            return True
        if prompt_context.attempt_count >= MAX_PROMPT_ATTEMPTS:
            prompt_context.recognized.value = None
            return True
        return False

    return validate


def add_voice_prompts(dialog: ComponentDialog) -> None:
    """Register the shared voice prompts on a component dialog."""
    for prompt_id, parse in PROMPT_ANSWERS.items():
        dialog.add_dialog(TextPrompt(prompt_id, _validator(parse)))
