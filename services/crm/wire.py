"""JSON shapes of the CRM REST contract (services/crm/openapi.yaml), shared by the server and HttpCrm."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from services.crm.models import (
    Account,
    AccountType,
    Card,
    CardStatement,
    CardType,
    Customer,
    Ticket,
    Transaction,
)

# Money travels as decimal strings ("1250.40"): JSON numbers would go through binary floats.


def customer_to_json(c: Customer) -> dict[str, Any]:
    return {
        "customerId": c.customer_id, "firstName": c.first_name, "lastName": c.last_name,
        "phone": c.phone, "language": c.language,
    }  # fmt: skip


def customer_from_json(d: dict[str, Any]) -> Customer:
    return Customer(d["customerId"], d["firstName"], d["lastName"], d["phone"], d["language"])


def account_to_json(a: Account) -> dict[str, Any]:
    return {
        "accountId": a.account_id, "accountType": a.account_type.value, "balance": str(a.balance),
        "currency": a.currency, "last4": a.last4,
    }  # fmt: skip


def account_from_json(d: dict[str, Any]) -> Account:
    return Account(
        d["accountId"], AccountType(d["accountType"]), Decimal(d["balance"]), d["currency"], d["last4"]
    )


def transaction_to_json(t: Transaction) -> dict[str, Any]:
    return {
        "postedOn": t.posted_on.isoformat(), "description": t.description, "amount": str(t.amount),
        "currency": t.currency,
    }  # fmt: skip


def transaction_from_json(d: dict[str, Any]) -> Transaction:
    return Transaction(
        date.fromisoformat(d["postedOn"]), d["description"], Decimal(d["amount"]), d["currency"]
    )


def card_to_json(c: Card) -> dict[str, Any]:
    return {"cardId": c.card_id, "cardType": c.card_type.value, "last4": c.last4, "status": c.status}


def card_from_json(d: dict[str, Any]) -> Card:
    return Card(d["cardId"], CardType(d["cardType"]), d["last4"], d["status"])


def statement_to_json(s: CardStatement) -> dict[str, Any]:
    return {
        "statementBalance": str(s.statement_balance), "minimumPayment": str(s.minimum_payment),
        "dueDate": s.due_date.isoformat(), "currency": s.currency,
    }  # fmt: skip


def statement_from_json(d: dict[str, Any]) -> CardStatement:
    return CardStatement(
        Decimal(d["statementBalance"]),
        Decimal(d["minimumPayment"]),
        date.fromisoformat(d["dueDate"]),
        d["currency"],
    )


def ticket_to_json(t: Ticket) -> dict[str, Any]:
    return {
        "ticketId": t.ticket_id,
        "subject": t.subject,
        "openedAt": t.opened_at.isoformat(),
        "status": t.status,
    }


def ticket_from_json(d: dict[str, Any]) -> Ticket:
    return Ticket(d["ticketId"], d["subject"], datetime.fromisoformat(d["openedAt"]), d["status"])
