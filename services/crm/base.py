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

    async def ping(self) -> bool:
        """True when the CRM answers (the readiness probe)."""
        ...

    async def close(self) -> None: ...


class CrmWrapper(Crm):
    """A Crm around another one: every call goes to ``inner``, so a wrapper (audit, call cache) overrides
    only the methods it adds something to."""

    def __init__(self, inner: Crm) -> None:
        self._inner = inner

    async def find_customer_by_phone(self, phone_e164: str, ctx: AccessContext) -> Customer | None:
        return await self._inner.find_customer_by_phone(phone_e164, ctx)

    async def get_customer(self, customer_id: str, ctx: AccessContext) -> Customer | None:
        return await self._inner.get_customer(customer_id, ctx)

    async def verify_pin(self, customer_id: str, pin: str, ctx: AccessContext) -> bool:
        return await self._inner.verify_pin(customer_id, pin, ctx)

    async def get_accounts(self, customer_id: str, ctx: AccessContext) -> list[Account]:
        return await self._inner.get_accounts(customer_id, ctx)

    async def get_transactions(
        self, customer_id: str, account_type: AccountType, limit: int, ctx: AccessContext
    ) -> list[Transaction]:
        return await self._inner.get_transactions(customer_id, account_type, limit, ctx)

    async def get_cards(self, customer_id: str, ctx: AccessContext) -> list[Card]:
        return await self._inner.get_cards(customer_id, ctx)

    async def get_card_statement(self, customer_id: str, ctx: AccessContext) -> CardStatement | None:
        return await self._inner.get_card_statement(customer_id, ctx)

    async def block_card(self, customer_id: str, card_type: CardType, ctx: AccessContext) -> str:
        return await self._inner.block_card(customer_id, card_type, ctx)

    async def get_open_tickets(self, customer_id: str, ctx: AccessContext) -> list[Ticket]:
        return await self._inner.get_open_tickets(customer_id, ctx)

    async def ping(self) -> bool:
        return await self._inner.ping()

    async def close(self) -> None:
        await self._inner.close()
