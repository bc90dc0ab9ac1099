"""The Crm port over a REST CRM behind Azure API Management (contract: services/crm/openapi.yaml)."""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import quote

import aiohttp

from config import CrmHttpSettings
from core.resilience import CircuitBreaker, CircuitOpen
from services.crm.base import CardNotFound, Crm, CrmError, CrmUnavailable
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
from services.crm.wire import (
    account_from_json,
    card_from_json,
    customer_from_json,
    statement_from_json,
    ticket_from_json,
    transaction_from_json,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Least privilege: the only calls this client can make (method, path template).
_ALLOWED = frozenset({
    ("GET", "/health"),
    ("GET", "/customers"),
    ("GET", "/customers/{id}"),
    ("POST", "/customers/{id}/pin-verifications"),
    ("GET", "/customers/{id}/accounts"),
    ("GET", "/customers/{id}/accounts/{type}/transactions"),
    ("GET", "/customers/{id}/cards"),
    ("GET", "/customers/{id}/card-statement"),
    ("POST", "/customers/{id}/cards/{type}/block"),
    ("GET", "/customers/{id}/tickets"),
})  # fmt: skip


def _retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as delta-seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _header_safe(value: str, limit: int) -> str:
    """Printable ASCII only: a header value must never carry a line break from channel input."""
    return "".join(ch for ch in value if 32 <= ord(ch) < 127)[:limit]


def _parse(convert: Callable[[Any], T], data: Any) -> T:
    """A response of the wrong shape is the CRM failing, not a bug in the dialog."""
    try:
        return convert(data)
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise CrmUnavailable(f"CRM answered an unexpected shape ({type(exc).__name__})") from exc


class _Retryable(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class HttpCrm(Crm):
    """aiohttp client: per-attempt timeout, retries with exponential backoff (full jitter) on
    429/5xx and connection errors honouring ``Retry-After`` (up to ``max_retry_after``), a circuit
    breaker, and ``CrmUnavailable`` for every failure a dialog should speak around. POSTs carry an
    ``Idempotency-Key`` so a retry cannot block a card twice."""

    def __init__(
        self,
        settings: CrmHttpSettings,
        *,
        credential: Any = None,
        session: aiohttp.ClientSession | None = None,
        backoff_base: float = 0.2,
        max_retry_after: float = 5.0,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._base_url = settings.base_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=settings.timeout_seconds)
        self._session = session
        self._owns_session = session is None
        self._credential = credential
        self._owns_credential = False
        self._token: tuple[str, float] | None = None
        self._backoff_base = backoff_base
        self._max_retry_after = max_retry_after
        self._sleep = sleep
        self.breaker = CircuitBreaker(settings.breaker_failures, settings.breaker_reset_seconds, clock)
        if settings.auth not in ("subscription_key", "entra"):
            raise ValueError(f"CRM_HTTP__AUTH must be subscription_key or entra, not {settings.auth!r}")
        if settings.auth == "entra" and not settings.entra_scope:
            raise ValueError("CRM_HTTP__AUTH=entra needs CRM_HTTP__ENTRA_SCOPE (api://<crm-app-id>/.default)")

    async def _auth_headers(self) -> dict[str, str]:
        if self._settings.auth == "entra":
            if self._credential is None:
                from azure.identity.aio import DefaultAzureCredential

                self._credential = DefaultAzureCredential()
                self._owns_credential = True
            if self._token is None or self._token[1] - 300 < time.time():
                try:
                    token = await self._credential.get_token(self._settings.entra_scope)
                except Exception as exc:  # azure-identity raises several unrelated types
                    raise CrmUnavailable("could not get an Entra token for the CRM") from exc
                self._token = (token.token, float(token.expires_on))
            return {"Authorization": f"Bearer {self._token[0]}"}
        key = self._settings.subscription_key.get_secret_value()
        return {"Ocp-Apim-Subscription-Key": key} if key else {}

    def _session_or_new(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
            self._owns_session = True
        return self._session

    def _backoff(self, attempt: int) -> float:
        return random.uniform(0, self._backoff_base * (2**attempt))

    async def _call(
        self,
        method: str,
        template: str,
        path: str,
        ctx: AccessContext | None,
        *,
        params: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
        not_found: Callable[[], Any] | None = None,
    ) -> Any:
        if (method, template) not in _ALLOWED:
            raise CrmError(f"{method} {template} is outside the bot's CRM scope")
        try:
            self.breaker.before_call()
        except CircuitOpen as exc:
            raise CrmUnavailable("circuit open") from exc
        headers = await self._auth_headers()
        if ctx is not None:
            headers["X-Conversation-Id"] = _header_safe(ctx.conversation_id, 128)
            headers["X-Access-Intent"] = _header_safe(ctx.intent, 64)
        if method == "POST":
            headers["Idempotency-Key"] = uuid.uuid4().hex
        attempts = max(0, self._settings.max_retries) + 1
        for attempt in range(attempts):
            try:
                result = await self._attempt(method, path, headers, params, body, not_found)
            except _Retryable as exc:
                wait = exc.retry_after if exc.retry_after is not None else self._backoff(attempt)
                if attempt + 1 >= attempts or wait > self._max_retry_after:
                    self.breaker.record_failure()
                    raise CrmUnavailable(f"CRM {method} {template}: {exc}") from exc
                log.info("crm retry", extra={"route": template, "reason": str(exc), "wait_s": round(wait, 3)})
                await self._sleep(wait)
                continue
            except CrmError:
                self.breaker.record_success()  # the CRM answered: it is up
                raise
            self.breaker.record_success()
            return result
        raise CrmUnavailable("unreachable")  # pragma: no cover - the loop always returns or raises

    async def _attempt(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        params: dict[str, str] | None,
        body: dict[str, Any] | None,
        not_found: Callable[[], Any] | None,
    ) -> Any:
        try:
            async with self._session_or_new().request(
                method,
                self._base_url + path,
                headers=headers,
                params=params,
                json=body,
                timeout=self._timeout,
            ) as resp:
                if resp.status in _RETRY_STATUSES:
                    raise _Retryable(
                        f"HTTP {resp.status}", _retry_after_seconds(resp.headers.get("Retry-After"))
                    )
                if resp.status == 404 and not_found is not None:
                    return not_found()
                if resp.status in (401, 403):
                    raise CrmUnavailable(f"CRM refused the bot's credentials (HTTP {resp.status})")
                if resp.status >= 400:
                    raise CrmUnavailable(f"CRM answered HTTP {resp.status}")
                return await resp.json()
        except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, TimeoutError) as exc:
            raise _Retryable(type(exc).__name__) from exc
        except (aiohttp.ContentTypeError, ValueError) as exc:
            raise CrmUnavailable("CRM answered something that is not JSON") from exc

    @staticmethod
    def _seg(value: str) -> str:
        return quote(value, safe="")

    async def find_customer_by_phone(self, phone_e164: str, ctx: AccessContext) -> Customer | None:
        data = await self._call("GET", "/customers", "/customers", ctx, params={"phone": phone_e164})
        return _parse(lambda d: customer_from_json(d["items"][0]) if d["items"] else None, data)

    async def get_customer(self, customer_id: str, ctx: AccessContext) -> Customer | None:
        path = f"/customers/{self._seg(customer_id)}"
        data = await self._call("GET", "/customers/{id}", path, ctx, not_found=lambda: None)
        return None if data is None else _parse(customer_from_json, data)

    async def verify_pin(self, customer_id: str, pin: str, ctx: AccessContext) -> bool:
        path = f"/customers/{self._seg(customer_id)}/pin-verifications"
        data = await self._call("POST", "/customers/{id}/pin-verifications", path, ctx, body={"pin": pin})
        return _parse(lambda d: d["verified"] is True, data)

    async def get_accounts(self, customer_id: str, ctx: AccessContext) -> list[Account]:
        path = f"/customers/{self._seg(customer_id)}/accounts"
        data = await self._call("GET", "/customers/{id}/accounts", path, ctx)
        return _parse(lambda d: [account_from_json(a) for a in d["items"]], data)

    async def get_transactions(
        self, customer_id: str, account_type: AccountType, limit: int, ctx: AccessContext
    ) -> list[Transaction]:
        path = f"/customers/{self._seg(customer_id)}/accounts/{account_type.value}/transactions"
        template = "/customers/{id}/accounts/{type}/transactions"
        data = await self._call("GET", template, path, ctx, params={"limit": str(limit)})
        return _parse(lambda d: [transaction_from_json(t) for t in d["items"]], data)

    async def get_cards(self, customer_id: str, ctx: AccessContext) -> list[Card]:
        data = await self._call(
            "GET", "/customers/{id}/cards", f"/customers/{self._seg(customer_id)}/cards", ctx
        )
        return _parse(lambda d: [card_from_json(c) for c in d["items"]], data)

    async def get_card_statement(self, customer_id: str, ctx: AccessContext) -> CardStatement | None:
        path = f"/customers/{self._seg(customer_id)}/card-statement"
        data = await self._call("GET", "/customers/{id}/card-statement", path, ctx, not_found=lambda: None)
        return None if data is None else _parse(statement_from_json, data)

    async def block_card(self, customer_id: str, card_type: CardType, ctx: AccessContext) -> str:
        path = f"/customers/{self._seg(customer_id)}/cards/{card_type.value}/block"

        def card_not_found() -> None:
            raise CardNotFound(card_type.value)

        data = await self._call(
            "POST", "/customers/{id}/cards/{type}/block", path, ctx, not_found=card_not_found
        )
        return _parse(lambda d: str(d["reference"]), data)

    async def get_open_tickets(self, customer_id: str, ctx: AccessContext) -> list[Ticket]:
        path = f"/customers/{self._seg(customer_id)}/tickets"
        data = await self._call("GET", "/customers/{id}/tickets", path, ctx, params={"status": "open"})
        return _parse(lambda d: [ticket_from_json(t) for t in d["items"]], data)

    async def ping(self) -> bool:
        """Readiness: GET /health answers 200 (never raises; does not touch the breaker)."""
        try:
            async with self._session_or_new().get(self._base_url + "/health", timeout=self._timeout) as resp:
                return resp.status == 200
        except (aiohttp.ClientError, TimeoutError):
            return False

    async def close(self) -> None:
        if self._owns_session and self._session is not None and not self._session.closed:
            await self._session.close()
        if self._owns_credential and self._credential is not None:
            await self._credential.close()
