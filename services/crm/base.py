"""The CRM port: every read or write of customer data goes through this interface."""

from __future__ import annotations

from typing import Protocol

from services.crm.models import (
    AccessContext,
    Account,
    AccountType,
    Card,
    CardStatement,
    CardType,
    Customer,
    Ticket,
    Transaction,
)


class CrmError(Exception):
    """Base class for CRM failures a dialog can turn into a spoken fallback."""


class CrmUnavailable(CrmError):
    """The CRM could not be reached or answered with a server error in time."""


class CardNotFound(CrmError):
    """The customer has no card of the requested type."""


class Crm(Protocol):
    """Customer lookup, verification, balances, transactions, cards and tickets."""

    async def find_customer_by_phone(self, phone_e164: str, ctx: AccessContext) -> Customer | None: ...

    async def get_customer(self, customer_id: str, ctx: AccessContext) -> Customer | None: ...

    async def verify_pin(self, customer_id: str, pin: str, ctx: AccessContext) -> bool: ...

    async def get_accounts(self, customer_id: str, ctx: AccessContext) -> list[Account]: ...

    async def get_transactions(
        self, customer_id: str, account_type: AccountType, limit: int, ctx: AccessContext
    ) -> list[Transaction]: ...

    async def get_cards(self, customer_id: str, ctx: AccessContext) -> list[Card]: ...

    async def get_card_statement(self, customer_id: str, ctx: AccessContext) -> CardStatement | None: ...

    async def block_card(self, customer_id: str, card_type: CardType, ctx: AccessContext) -> str:
        """Block the customer's card of that type; returns the block's reference number."""
        ...

    async def get_open_tickets(self, customer_id: str, ctx: AccessContext) -> list[Ticket]: ...

    async def close(self) -> None: ...
