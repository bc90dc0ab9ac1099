"""The routing rule: whether a customer-data intent runs, is confirmed first, or yields to the documents.

One function so that MainDialog and `bench/routing.py` apply the very same rule. It concerns a customer-data
intent (balance, transactions, block card, card payment) scored at least ROUTING__CONFIRM_THRESHOLD whose
words ask about the bank's rules (fees, rates, limits, requirements, "how do I", "can I", "why", "if I block
my card, …") and do not act on the caller's own data ("check my", "block my", "what did I spend"), or do so
only inside a question about how it works or why ("how is my minimum payment worked out", "does my balance
earn interest", "cómo calculan mi pago mínimo"): such words are a question, however confident the recognizer
is about an action. Then:
- the knowledge index holds a strong match for the question's own words: the documents answer it
  (ROUTING__KNOWLEDGE_FIRST);
- it does not: the action is not run without asking; the caller hears the confirmation question
  ("Just to be sure: do you want …?"), where they can say yes, no, or ask something else
  (ROUTING__ASK_RULES_QUESTIONS).
Every other request keeps the confidence bands: run at ROUTING__HIGH_THRESHOLD, confirm above
ROUTING__CONFIRM_THRESHOLD. A request such as "I want the card blocked" is not a question.
"""

from __future__ import annotations

from enum import Enum

from config import RoutingSettings
from recognizers.own_data import asks_about_rules, asks_how_it_works, is_own_data_action
from services.knowledge.base import Knowledge


class Decision(Enum):
    """What MainDialog does with a routed intent."""

    RUN = "run"
    CONFIRM = "confirm"
    KNOWLEDGE = "knowledge"


def by_confidence(score: float, routing: RoutingSettings) -> Decision:
    """The confidence bands alone: run, confirm, or (below both) the knowledge dialog."""
    if score >= routing.high_threshold:
        return Decision.RUN
    if score >= routing.confirm_threshold:
        return Decision.CONFIRM
    return Decision.KNOWLEDGE


def is_rules_question(text: str) -> bool:
    """Words that ask about the bank's rules: no own-data cue, or one beside a question about how it works
    or why ("how is my minimum payment worked out", "why is my balance different")."""
    return asks_about_rules(text) and (not is_own_data_action(text) or asks_how_it_works(text))


async def arbitrate(
    knowledge: Knowledge | None,
    text: str,
    locale: str,
    score: float,
    routing: RoutingSettings,
    *,
    acts_on_customer_data: bool,
) -> Decision:
    """The decision for an intent scored ``score`` (module docstring). Raises the knowledge service's
    KnowledgeError."""
    banded = by_confidence(score, routing)
    if banded is Decision.KNOWLEDGE or not acts_on_customer_data or not is_rules_question(text):
        return banded
    if routing.knowledge_first and knowledge is not None and await knowledge.covers(text, locale):
        return Decision.KNOWLEDGE
    if routing.ask_rules_questions:
        return Decision.CONFIRM
    return banded
