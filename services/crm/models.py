"""Customer-data records the CRM port returns. Plain immutable values, no SDK types."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum


class AccountType(str, Enum):
    SAVINGS = "savings"
    CHECKING = "checking"
    CREDIT_CARD = "credit_card"


class CardType(str, Enum):
    CREDIT = "credit"
    DEBIT = "debit"


@dataclass(frozen=True)
class Customer:
    customer_id: str
    first_name: str
    last_name: str
    phone: str
    language: str
    """The customer's preferred locale, e.g. ``en-US`` or ``es-MX``."""


@dataclass(frozen=True)
class Account:
    account_id: str
    account_type: AccountType
    balance: Decimal
    currency: str
    last4: str


@dataclass(frozen=True)
class Transaction:
    posted_on: date
    description: str
    amount: Decimal
    """Negative for money out, positive for money in."""
    currency: str


@dataclass(frozen=True)
class Card:
    card_id: str
    card_type: CardType
    last4: str
    status: str
    """``active`` or ``blocked``."""


@dataclass(frozen=True)
class CardStatement:
    statement_balance: Decimal
    minimum_payment: Decimal
    due_date: date
    currency: str


@dataclass(frozen=True)
class Ticket:
    ticket_id: str
    subject: str
    opened_at: datetime
    status: str


@dataclass(frozen=True)
class AccessContext:
    """Who reads customer data and why: carried into every CRM call for the audit trail."""

    conversation_id: str
    intent: str
    actor: str = "voicebot"
    extra: dict[str, str] = field(default_factory=dict)
