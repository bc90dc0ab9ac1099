"""Caller numbers normalise to E.164 and the caller lookup is made once per call."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.crm.cached import CallScopedCrm
from services.crm.embedded_sqlite import EmbeddedSqliteCrm
from services.crm.models import AccessContext, AccountType
from services.crm.phone import normalize_e164


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+14255550100", "+14255550100"),
        ("(425) 555-0100", "+14255550100"),
        ("425.555.0100", "+14255550100"),
        ("tel:+1-425-555-0100", "+14255550100"),
        ("4:+14255550100", "+14255550100"),  # ACS raw id
        ("sip:+14255550100@sbc.contoso.com;user=phone", "+14255550100"),
        ("+52 1 55 5555 0101", "+5215555550101"),  # legacy Mexican mobile form kept
        ("+52 55 5555 0101", "+525555550101"),
        ("  +44 20 7946 0958 ", "+442079460958"),
    ],
)
def test_numbers_in_any_channel_form_become_e164(raw: str, expected: str) -> None:
    assert normalize_e164(raw) == expected


def test_spanish_caller_without_plus_uses_the_default_region() -> None:
    assert normalize_e164("55 5555 0101", default_region="MX") == "+525555550101"


@pytest.mark.parametrize("raw", [None, "", "anonymous", "Restricted", "12", "+1 555", "sip:bot@contoso.com"])
def test_withheld_or_garbage_numbers_are_none(raw: str | None) -> None:
    assert normalize_e164(raw) is None


class CountingCrm(EmbeddedSqliteCrm):
    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.calls: list[str] = []

    async def find_customer_by_phone(self, phone_e164, ctx):  # type: ignore[no-untyped-def]
        self.calls.append(f"phone:{phone_e164}")
        return await super().find_customer_by_phone(phone_e164, ctx)

    async def get_customer(self, customer_id, ctx):  # type: ignore[no-untyped-def]
        self.calls.append(f"id:{customer_id}")
        return await super().get_customer(customer_id, ctx)

    async def get_accounts(self, customer_id, ctx):  # type: ignore[no-untyped-def]
        self.calls.append("accounts")
        return await super().get_accounts(customer_id, ctx)


async def test_caller_lookup_is_cached_for_the_call_and_data_is_read_fresh(tmp_path: Path) -> None:
    inner = CountingCrm(tmp_path / "crm.db")
    crm = CallScopedCrm(inner)
    call_a = AccessContext("call-a", "identify")
    first = await crm.find_customer_by_phone("(425) 555-0100", call_a)
    again = await crm.find_customer_by_phone("tel:+14255550100", AccessContext("call-a", "check_balance"))
    by_id = await crm.get_customer("C1001", call_a)
    assert first == again == by_id and first is not None
    assert inner.calls == ["phone:+14255550100"]

    await crm.find_customer_by_phone("+14255550100", AccessContext("call-b", "identify"))
    assert inner.calls.count("phone:+14255550100") == 2  # another call looks up again

    await crm.get_accounts("C1001", call_a)
    await crm.get_accounts("C1001", call_a)
    assert inner.calls.count("accounts") == 2
    await crm.close()


async def test_unknown_callers_are_cached_too_and_forget_clears_a_call(tmp_path: Path) -> None:
    inner = CountingCrm(tmp_path / "crm.db")
    crm = CallScopedCrm(inner)
    ctx = AccessContext("call-c", "identify")
    assert await crm.find_customer_by_phone("+19995550000", ctx) is None
    assert await crm.find_customer_by_phone("+19995550000", ctx) is None
    assert inner.calls == ["phone:+19995550000"]
    crm.forget("call-c")
    await crm.find_customer_by_phone("+19995550000", ctx)
    assert len(inner.calls) == 2
    assert await crm.find_customer_by_phone("anonymous", ctx) is None
    assert len(inner.calls) == 2  # not a number: no CRM call at all
    await crm.close()


async def test_cache_entries_expire_and_the_cache_is_bounded(tmp_path: Path) -> None:
    inner = CountingCrm(tmp_path / "crm.db")
    now = [0.0]
    crm = CallScopedCrm(inner, ttl_seconds=60, max_entries=2, clock=lambda: now[0])
    ctx = AccessContext("call-d", "identify")
    await crm.get_customer("C1001", ctx)
    now[0] = 61
    await crm.get_customer("C1001", ctx)
    assert inner.calls == ["id:C1001", "id:C1001"]
    for i in range(5):
        await crm.get_customer("C1002", AccessContext(f"call-{i}", "identify"))
    assert len(crm._entries) == 2
    assert (await crm.get_transactions("C1001", AccountType.SAVINGS, 1, ctx))[0].description
    await crm.close()
