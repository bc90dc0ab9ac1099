"""At a prompt, tells the caller's answer from a new request: another confident intent, or a question."""

from __future__ import annotations

from typing import Any

from botbuilder.core import TurnContext
from botbuilder.dialogs import ComponentDialog, DialogContext

from dialogs.prompts import OPEN_TO_NEW_REQUESTS, YES_NO_PROMPT, prompt_answer
from dialogs.registry import route_for
from dialogs.spoken_answers import yes_or_no
from dialogs.turn import recognition
from recognizers.base import top_intent
from recognizers.text import drop_fillers, strip_accents, tokens
from services.knowledge.text import tokens as content_words

# Hand-written on purpose: a handful of openers decides a question in either language, and no installed
# library tells a question from a statement in Spanish and English.
_OPENERS = frozenset(
    "what what's whats how how's when where where's why who which is are can could do does did will would "
    "should may am "
    "que como cuando donde cuanto cuanta cuantos cuantas cual cuales quien quienes puedo puede pueden "
    "podria podrian hay tienen tiene".split()
)
_ASKING = (
    "i want to know",
    "i'd like to know",
    "i would like to know",
    "tell me",
    "i was wondering",
    "i wonder",
    "quiero saber",
    "quisiera saber",
    "me gustaria saber",
    "se puede",
    "me puede decir",
    "me podria decir",
    "digame",
    "dime",
    "a que hora",
    "me dice",
)
# Words that open a turn without changing what it is ("and what about…", "oh, how do I…").
_LEAD_INS = frozenset(
    "and but so oh ok okay well actually also wait then no yes yeah sure y pero entonces oye oiga disculpe "
    "perdon bueno ah ya tambien mejor si claro vale".split()
)
MIN_QUESTION_WORDS = 3


def _words(text: str) -> list[str]:
    return drop_fillers(tokens(strip_accents(text)))


def is_question(text: str) -> bool:
    """A question about something: at least three words, a content word, and a question's form."""
    words = _words(text)
    if len(words) < MIN_QUESTION_WORDS or not content_words(text):
        return False
    if "?" in text or "¿" in text:
        return True
    plain = " ".join(words)
    if any(f" {phrase} " in f" {plain} " for phrase in _ASKING):
        return True
    opener = next((w for w in words if w not in _LEAD_INS), "")
    return opener in _OPENERS or opener.split("'")[0] in _OPENERS  # "who's", "where'd"


_CONNECTIVES = frozenset({"and", "also", "or", "plus", "y", "o", "tambien"})
_COURTESIES = frozenset(content_words("thanks thank you gracias bye goodbye adios chao ok okay all todo"))
NOT_FOR_QUESTIONS = frozenset({"Goodbye", "Cancel"})
"""Commands a question never means, whatever the recognizer's score: "¿y los sábados?" is no goodbye."""


def asks_something(text: str) -> bool:
    """A question, or a follow-up that adds a topic to the last one ("and online?", "¿y por internet?")."""
    if is_question(text):
        return True
    words = _words(text)
    opens = bool(words) and (words[0] in _CONNECTIVES or " ".join(words[:2]) in ("what about", "how about"))
    return opens and bool(set(content_words(text)) - _COURTESIES)


def _after_lead_ins(text: str) -> str:
    """ "OK, and what does it cost?" -> "what does it cost?" (what follows a yes or no, if anything)."""
    words = _words(text)
    start = next((i for i, w in enumerate(words) if w not in _LEAD_INS), len(words))
    mark = "?" if "?" in text else ""
    return " ".join(words[start:]) + mark


def _field(item: object, name: str) -> Any:
    """Dialog state read back from storage may be plain dicts rather than botbuilder objects."""
    return item.get(name) if isinstance(item, dict) else getattr(item, name, None)


def innermost_dialog_id(dc: DialogContext) -> str | None:
    """The id of the dialog actually waiting for the caller (a prompt, when one is open).

    botbuilder-python's ComponentDialog is no DialogContainer (``dc.child`` is None), so walk its state.
    """
    instance: object = dc.active_dialog
    while instance is not None:
        inner = (_field(instance, "state") or {}).get(ComponentDialog.persisted_dialog_state)
        stack = _field(inner, "dialog_stack") if inner is not None else None
        if not stack:
            return _field(instance, "id")
        instance = stack[0]
    return None


def is_new_request(
    turn_context: TurnContext, prompt_id: str | None, in_progress: str | None, high_threshold: float
) -> bool:
    """True when this turn, said at prompt ``prompt_id``, is a new request rather than its answer.

    A question, or an intent at or above ``high_threshold`` whose dialog is not ``in_progress`` (the dialog
    serving the current request), is a new request. An answer the prompt accepts wins ("savings", "yes"),
    except a yes or no that only leads into a question, and a "no" that goes on to ask for another action.
    """
    result = recognition(turn_context)
    if result is None or prompt_id not in OPEN_TO_NEW_REQUESTS:
        return False
    text = result.text or ""
    intent, score = top_intent(result)
    route = route_for(intent)
    other_action = route is not None and score >= high_threshold and route.dialog.__name__ != in_progress
    answer = prompt_answer(prompt_id, turn_context)
    if answer is None:
        return other_action or is_question(text)
    if prompt_id != YES_NO_PROMPT:
        return False
    # "OK, and what does it cost?" asks; "yes, can you do that?" and "no, keep it" answer.
    rest = _after_lead_ins(text)
    if is_question(rest) and yes_or_no(rest) is None:
        return True
    return answer is False and other_action
