"""A Crm wrapper that records every customer-data access in the audit trail (identifiers only, no values)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from services.audit.base import AuditEntry, AuditTrail, AuditUnavailable, DataCategory, Operation
from services.crm.base import CardNotFound, Crm, CrmUnavailable, CrmWrapper
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

T = TypeVar("T")


class AuditedCrm(CrmWrapper):
    """Wraps any Crm. Each call appends one entry — actor, conversation id and intent from the
    AccessContext, the customer id, data category, operation and outcome — after the call (so the
    outcome is known) and before the data is handed back: if the trail cannot record, the caller
    gets ``CrmUnavailable`` and no data (fail closed). The card block, the one write, is also
    recorded *before* it is attempted. Put it outermost (over the call cache) so cached reads are
    recorded too."""

    def __init__(self, inner: Crm, audit: AuditTrail) -> None:
        super().__init__(inner)
        self._audit = audit

    async def _record(
        self, ctx: AccessContext, customer_id: str, category: DataCategory, operation: Operation,
        outcome: str, detail: str,
    ) -> None:  # fmt: skip
        entry = AuditEntry(
            actor=ctx.actor, conversation_id=ctx.conversation_id, customer_id=customer_id, category=category,
            operation=operation, intent=ctx.intent, outcome=outcome, detail=detail,
        )  # fmt: skip
        try:
            await self._audit.append(entry)
        except AuditUnavailable as exc:
            raise CrmUnavailable("audit trail unavailable: access refused") from exc

    async def _audited(
        self,
        ctx: AccessContext,
        customer_id: str,
        category: DataCategory,
        operation: Operation,
        detail: str,
        call: Callable[[], Awaitable[T]],
        outcome_of: Callable[[T], tuple[str, str]] = lambda _: ("ok", ""),
    ) -> T:
        try:
            result = await call()
        except CardNotFound:
            await self._record(ctx, customer_id, category, operation, "not_found", detail)
            raise
        except Exception as exc:
            await self._record(
                ctx, customer_id, category, operation, "failed", f"{detail}:{type(exc).__name__}"
            )
            raise
        outcome, subject = outcome_of(result)
        await self._record(ctx, subject or customer_id, category, operation, outcome, detail)
        return result

    async def find_customer_by_phone(self, phone_e164: str, ctx: AccessContext) -> Customer | None:
        def outcome(c: Customer | None) -> tuple[str, str]:
            return ("ok", c.customer_id) if c else ("not_found", "")

        return await self._audited(
            ctx, "", DataCategory.IDENTITY, Operation.LOOKUP, "find_customer_by_phone",
            lambda: self._inner.find_customer_by_phone(phone_e164, ctx), outcome,
        )  # fmt: skip

    async def get_customer(self, customer_id: str, ctx: AccessContext) -> Customer | None:
        return await self._audited(
            ctx, customer_id, DataCategory.IDENTITY, Operation.READ, "get_customer",
            lambda: self._inner.get_customer(customer_id, ctx), lambda c: ("ok" if c else "not_found", ""),
        )  # fmt: skip

    async def verify_pin(self, customer_id: str, pin: str, ctx: AccessContext) -> bool:
        return await self._audited(
            ctx, customer_id, DataCategory.AUTHENTICATION, Operation.VERIFY, "verify_pin",
            lambda: self._inner.verify_pin(customer_id, pin, ctx), lambda ok: ("ok" if ok else "denied", ""),
        )  # fmt: skip

    async def get_accounts(self, customer_id: str, ctx: AccessContext) -> list[Account]:
        return await self._audited(
            ctx, customer_id, DataCategory.ACCOUNTS, Operation.READ, "get_accounts",
            lambda: self._inner.get_accounts(customer_id, ctx),
        )  # fmt: skip

    async def get_transactions(
        self, customer_id: str, account_type: AccountType, limit: int, ctx: AccessContext
    ) -> list[Transaction]:
        return await self._audited(
            ctx, customer_id, DataCategory.TRANSACTIONS, Operation.READ,
            f"get_transactions:{account_type.value}",
            lambda: self._inner.get_transactions(customer_id, account_type, limit, ctx),
        )  # fmt: skip

    async def get_cards(self, customer_id: str, ctx: AccessContext) -> list[Card]:
        return await self._audited(
            ctx, customer_id, DataCategory.CARDS, Operation.READ, "get_cards",
            lambda: self._inner.get_cards(customer_id, ctx),
        )  # fmt: skip

    async def get_card_statement(self, customer_id: str, ctx: AccessContext) -> CardStatement | None:
        return await self._audited(
            ctx, customer_id, DataCategory.CARD_STATEMENT, Operation.READ, "get_card_statement",
            lambda: self._inner.get_card_statement(customer_id, ctx),
            lambda s: ("ok" if s else "not_found", ""),
        )  # fmt: skip

    async def block_card(self, customer_id: str, card_type: CardType, ctx: AccessContext) -> str:
        detail = f"block_card:{card_type.value}"
        await self._record(ctx, customer_id, DataCategory.CARDS, Operation.BLOCK, "requested", detail)
        return await self._audited(
            ctx, customer_id, DataCategory.CARDS, Operation.BLOCK, detail,
            lambda: self._inner.block_card(customer_id, card_type, ctx),
        )  # fmt: skip

    async def get_open_tickets(self, customer_id: str, ctx: AccessContext) -> list[Ticket]:
        return await self._audited(
            ctx, customer_id, DataCategory.TICKETS, Operation.READ, "get_open_tickets",
            lambda: self._inner.get_open_tickets(customer_id, ctx),
        )  # fmt: skip
