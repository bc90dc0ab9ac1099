"""The embedded CRM opens and seeds its database once, even when the first caller hangs up meanwhile."""

from __future__ import annotations

import asyncio

from services.crm.base import AccessContext
from services.crm.embedded_sqlite import EmbeddedSqliteCrm

CARLOS = "+14255550100"


async def test_a_lookup_cancelled_while_the_database_opens_leaves_it_usable(tmp_path) -> None:
    crm = EmbeddedSqliteCrm(tmp_path / "crm.sqlite3")
    ctx = AccessContext("call-1", "test")
    first = asyncio.create_task(crm.find_customer_by_phone(CARLOS, ctx))
    await asyncio.sleep(0.001)  # the opening (schema + demo customers) is under way in its thread
    first.cancel()
    # The next callers arrive while that opening may still be seeding: they share it, nobody seeds twice.
    found = await asyncio.gather(*(crm.find_customer_by_phone(CARLOS, ctx) for _ in range(3)))
    assert all(customer is not None and customer.customer_id == "C1001" for customer in found)
    await crm.close()


async def test_closing_while_the_database_opens_closes_what_was_opened(tmp_path) -> None:
    crm = EmbeddedSqliteCrm(tmp_path / "crm.sqlite3")
    first = asyncio.create_task(crm.ping())
    await asyncio.sleep(0.001)
    first.cancel()
    await crm.close()
    assert await crm.ping()  # opened afresh after the close
    await crm.close()
