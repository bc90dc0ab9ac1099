"""A Crm wrapper that remembers the caller lookup for the length of a call (keyed by conversation id)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from services.crm.base import Crm, CrmWrapper
from services.crm.models import (
    AccessContext,
    Customer,
)
from services.crm.phone import normalize_e164

_MISSING = object()


class CallScopedCrm(CrmWrapper):
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
        super().__init__(inner)
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
