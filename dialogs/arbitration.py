"""The action-vs-knowledge rule: when a customer-data intent yields to an answer from the documents.

One function so that MainDialog and `bench/routing.py` apply the very same rule. A customer-data intent
(balance, transactions, block card, card payment) yields only when all three hold:
- the words do not act on the caller's own data ("check my", "block my", "what did I spend");
- the words ask about the bank's rules (fees, rates, limits, requirements, "how do I", "can I"): a request
  such as "I want the card blocked" is not a question, however well the documents cover its words;
- the knowledge index holds a strong match for the question's own words.
"""

from __future__ import annotations

from recognizers.own_data import asks_about_rules, is_own_data_action
from services.knowledge.base import Knowledge


async def knowledge_answers_instead(
    knowledge: Knowledge | None, text: str, locale: str, *, enabled: bool, acts_on_customer_data: bool
) -> bool:
    """True when a request routed to a customer-data dialog should be answered from the documents.
    Raises the knowledge service's KnowledgeError."""
    if not (enabled and acts_on_customer_data and knowledge is not None):
        return False
    if is_own_data_action(text) or not asks_about_rules(text):
        return False
    return await knowledge.covers(text, locale)
