"""Demo CRM REST server: the embedded CRM over openapi.yaml (`python -m services.crm.server --port P`)."""

from __future__ import annotations

import argparse
import hmac
import logging
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from services.crm.base import CardNotFound, Crm
from services.crm.models import AccessContext, AccountType, CardType
from services.crm.wire import (
    account_to_json,
    card_to_json,
    customer_to_json,
    statement_to_json,
    ticket_to_json,
    transaction_to_json,
)

log = logging.getLogger(__name__)

CRM_KEY: web.AppKey[Crm] = web.AppKey("crm", Crm)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_PIN = re.compile(r"^[0-9]{4,8}$")
_MAX_LIMIT = 50


def _error(status: int, code: str, message: str = "") -> web.Response:
    return web.json_response({"error": code, "message": message}, status=status)


def _ctx(request: web.Request) -> AccessContext:
    return AccessContext(
        conversation_id=request.headers.get("X-Conversation-Id", "")[:128],
        intent=request.headers.get("X-Access-Intent", "")[:64],
        actor="crm-api",
    )


def _crm(request: web.Request) -> Crm:
    return request.app[CRM_KEY]


def _auth_middleware(subscription_key: str) -> Any:
    @web.middleware
    async def check(request: web.Request, handler: Handler) -> web.StreamResponse:
        if subscription_key and request.path != "/health":
            given = request.headers.get("Ocp-Apim-Subscription-Key", "")
            if not hmac.compare_digest(given.encode(), subscription_key.encode()):
                return _error(401, "unauthorized", "missing or wrong Ocp-Apim-Subscription-Key")
        return await handler(request)

    return check


def _idempotency_middleware(max_entries: int = 1000) -> Any:
    """A retried POST with the same Idempotency-Key gets the first answer instead of a second effect."""
    seen: OrderedDict[tuple[str, str], tuple[int, bytes]] = OrderedDict()

    @web.middleware
    async def dedupe(request: web.Request, handler: Handler) -> web.StreamResponse:
        key = request.headers.get("Idempotency-Key", "")[:64]
        if request.method != "POST" or not key:
            return await handler(request)
        cache_key = (key, request.path)
        if cache_key in seen:
            status, body = seen[cache_key]
            return web.Response(status=status, body=body, content_type="application/json")
        response = await handler(request)
        if isinstance(response, web.Response) and response.status < 500 and response.status != 429:
            seen[cache_key] = (response.status, bytes(response.body or b""))  # type: ignore[arg-type]
            while len(seen) > max_entries:
                seen.popitem(last=False)
        return response

    return dedupe


async def health(request: web.Request) -> web.Response:
    ping = getattr(_crm(request), "ping", None)
    ok = bool(await ping()) if ping is not None else True
    return web.json_response({"status": "ok" if ok else "degraded"}, status=200 if ok else 503)


async def find_customers(request: web.Request) -> web.Response:
    phone = request.query.get("phone", "")
    if not phone.startswith("+"):
        return _error(400, "bad_request", "phone must be E.164")
    customer = await _crm(request).find_customer_by_phone(phone, _ctx(request))
    return web.json_response({"items": [customer_to_json(customer)] if customer else []})


async def get_customer(request: web.Request) -> web.Response:
    customer = await _crm(request).get_customer(request.match_info["customer_id"], _ctx(request))
    if customer is None:
        return _error(404, "not_found")
    return web.json_response(customer_to_json(customer))


async def verify_pin(request: web.Request) -> web.Response:
    try:
        body = await request.json()
    except ValueError:  # not JSON, or not UTF-8
        return _error(400, "bad_request", "JSON body expected")
    pin = body.get("pin") if isinstance(body, dict) else None
    if not isinstance(pin, str) or not _PIN.match(pin):
        return _error(400, "bad_request", "pin must be 4 to 8 digits")
    ok = await _crm(request).verify_pin(request.match_info["customer_id"], pin, _ctx(request))
    return web.json_response({"verified": bool(ok)})


async def get_accounts(request: web.Request) -> web.Response:
    accounts = await _crm(request).get_accounts(request.match_info["customer_id"], _ctx(request))
    return web.json_response({"items": [account_to_json(a) for a in accounts]})


async def get_transactions(request: web.Request) -> web.Response:
    try:
        account_type = AccountType(request.match_info["account_type"])
        limit = int(request.query.get("limit", "5"))
    except ValueError:
        return _error(400, "bad_request", "unknown account type or bad limit")
    if not 1 <= limit <= _MAX_LIMIT:
        return _error(400, "bad_request", f"limit must be 1..{_MAX_LIMIT}")
    rows = await _crm(request).get_transactions(
        request.match_info["customer_id"], account_type, limit, _ctx(request)
    )
    return web.json_response({"items": [transaction_to_json(t) for t in rows]})


async def get_cards(request: web.Request) -> web.Response:
    cards = await _crm(request).get_cards(request.match_info["customer_id"], _ctx(request))
    return web.json_response({"items": [card_to_json(c) for c in cards]})


async def get_card_statement(request: web.Request) -> web.Response:
    statement = await _crm(request).get_card_statement(request.match_info["customer_id"], _ctx(request))
    if statement is None:
        return _error(404, "not_found")
    return web.json_response(statement_to_json(statement))


async def block_card(request: web.Request) -> web.Response:
    try:
        card_type = CardType(request.match_info["card_type"])
    except ValueError:
        return _error(400, "bad_request", "card type must be credit or debit")
    try:
        reference = await _crm(request).block_card(
            request.match_info["customer_id"], card_type, _ctx(request)
        )
    except CardNotFound:
        return _error(404, "card_not_found")
    return web.json_response({"reference": reference}, status=201)


async def get_tickets(request: web.Request) -> web.Response:
    if request.query.get("status", "open") != "open":
        return _error(400, "bad_request", "only status=open is served")
    tickets = await _crm(request).get_open_tickets(request.match_info["customer_id"], _ctx(request))
    return web.json_response({"items": [ticket_to_json(t) for t in tickets]})


def create_crm_app(crm: Crm, subscription_key: str = "") -> web.Application:
    """The contract's routes over ``crm``; with ``subscription_key`` every route but /health needs it."""
    app = web.Application(middlewares=[_auth_middleware(subscription_key), _idempotency_middleware()])
    app[CRM_KEY] = crm
    c = "/customers/{customer_id}"
    app.add_routes([
        web.get("/health", health),
        web.get("/customers", find_customers),
        web.get(c, get_customer),
        web.post(c + "/pin-verifications", verify_pin),
        web.get(c + "/accounts", get_accounts),
        web.get(c + "/accounts/{account_type}/transactions", get_transactions),
        web.get(c + "/cards", get_cards),
        web.get(c + "/card-statement", get_card_statement),
        web.post(c + "/cards/{card_type}/block", block_card),
        web.get(c + "/tickets", get_tickets),
    ])  # fmt: skip

    async def close_crm(app: web.Application) -> None:
        await app[CRM_KEY].close()

    app.on_cleanup.append(close_crm)
    return app


def main(argv: list[str] | None = None) -> None:
    from config import get_settings
    from services.crm.factory import create_embedded_crm

    settings = get_settings()
    parser = argparse.ArgumentParser(description="Serve the embedded demo CRM over the REST contract.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--db", type=Path, default=settings.data_dir / "crm.sqlite3")
    args = parser.parse_args(argv)
    key = settings.crm_http.subscription_key.get_secret_value()
    logging.basicConfig(level=logging.INFO)
    log.info("demo CRM on %s:%s (subscription key %s)", args.host, args.port, "required" if key else "off")
    # No access log: request lines carry customer ids and the ?phone= query.
    web.run_app(create_crm_app(create_embedded_crm(settings, args.db), key), host=args.host, port=args.port,
                access_log=None, print=None)  # fmt: skip


if __name__ == "__main__":
    main()
