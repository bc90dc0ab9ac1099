"""A Crm wrapper that remembers the caller lookup for the length of a call (keyed by conversation id)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from services.crm.base import Crm
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
from services.crm.phone import normalize_e164

_MISSING = object()


class CallScopedCrm:
    """Caches ``find_customer_by_phone`` and ``get_customer`` per conversation: the caller is looked
    up once at call start, and every later turn (on any dialog) reuses it. Balances, cards and
    tickets are always read fresh. Entries expire after ``ttl_seconds`` and the cache is bounded;
    ``forget(conversation_id)`` drops a call's entries when it ends. The phone number is
    normalised to E.164 before the lookup, so callers may pass any channel form."""

    def __init__(
        self,
        inner: Crm,
        ttl_seconds: float = 900.0,
        max_entries: int = 10_000,
        default_region: str = "US",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._inner = inner
        self._ttl = ttl_seconds
        self._max = max_entries
        self._region = default_region
        self._clock = clock
        self._entries: OrderedDict[tuple[str, str, str], tuple[float, Any]] = OrderedDict()

    def _get(self, key: tuple[str, str, str]) -> Any:
        hit = self._entries.get(key)
        if hit is None:
            return _MISSING
        stored_at, value = hit
        if self._clock() - stored_at > self._ttl:
            del self._entries[key]
            return _MISSING
        self._entries.move_to_end(key)
        return value

    def _put(self, key: tuple[str, str, str], value: Any) -> None:
        self._entries[key] = (self._clock(), value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def forget(self, conversation_id: str) -> None:
        for key in [k for k in self._entries if k[0] == conversation_id]:
            del self._entries[key]

    async def find_customer_by_phone(self, phone_e164: str, ctx: AccessContext) -> Customer | None:
        phone = normalize_e164(phone_e164, self._region)
        if phone is None:
            return None
        key = (ctx.conversation_id, "phone", phone)
        cached = self._get(key)
        if cached is not _MISSING:
            return cached
        customer = await self._inner.find_customer_by_phone(phone, ctx)
        self._put(key, customer)
        if customer is not None:
            self._put((ctx.conversation_id, "id", customer.customer_id), customer)
        return customer

    async def get_customer(self, customer_id: str, ctx: AccessContext) -> Customer | None:
        key = (ctx.conversation_id, "id", customer_id)
        cached = self._get(key)
        if cached is not _MISSING:
            return cached
        customer = await self._inner.get_customer(customer_id, ctx)
        self._put(key, customer)
        return customer

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
        ping = getattr(self._inner, "ping", None)
        return bool(await ping()) if ping is not None else True

    async def close(self) -> None:
        await self._inner.close()
