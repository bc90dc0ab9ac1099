"""`/api/messages`: checks the request before botbuilder sees it, so bad input gets a clear 4xx."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable

import jwt
import requests
from aiohttp import web
from botbuilder.core import Bot
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity
from msrest.exceptions import DeserializationError

logger = logging.getLogger(__name__)


def _problem(status: int, title: str) -> web.Response:
    return web.json_response({"error": title}, status=status)


async def _check_activity_request(request: web.Request) -> web.Response | None:
    """None when the request is a well-formed activity POST; otherwise the error response."""
    if request.content_type != "application/json":
        return _problem(415, "Content-Type must be application/json")
    try:
        body = json.loads(await request.read())
    except web.HTTPRequestEntityTooLarge:
        raise
    except (ValueError, UnicodeDecodeError):
        return _problem(400, "body is not valid JSON")
    if not isinstance(body, dict):
        return _problem(400, "body must be a JSON object (an activity)")
    if not isinstance(body.get("type"), str) or not body["type"]:
        return _problem(400, "activity has no type")
    conversation = body.get("conversation")
    if not isinstance(conversation, dict) or not conversation.get("id"):
        return _problem(400, "activity has no conversation id")
    for party in ("from", "recipient"):  # every channel sends both; botbuilder's middleware reads their ids
        if not isinstance(body.get(party), dict):
            return _problem(400, f"activity has no {party}")
    if not isinstance(body.get("serviceUrl"), str):
        return _problem(400, "activity has no serviceUrl")
    if not isinstance(body.get("channelId"), str) or not body["channelId"]:
        return _problem(400, "activity has no channelId")
    try:  # botbuilder deserializes the same way; a field of the wrong shape would be a 500 there
        Activity().deserialize(body)
    except (DeserializationError, TypeError, ValueError, AttributeError):
        return _problem(400, "activity fields have the wrong shape")
    return None


def messages_handler(
    adapter: CloudAdapter, bot: Bot
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handle(request: web.Request) -> web.StreamResponse:
        if request.method == "GET":
            # The telephony channel talks over a WebSocket on the same path.
            socket = web.WebSocketResponse()
            if not socket.can_prepare(request).ok:
                return _problem(400, "expected a WebSocket upgrade")
            await adapter.process(request, bot, socket)
            return socket
        problem = await _check_activity_request(request)
        if problem is not None:
            logger.info("rejected activity request", extra={"status": problem.status})
            return problem
        try:
            response = await adapter.process(request, bot)
        except jwt.PyJWTError:
            # botbuilder lets a malformed bearer token escape as a decode error (a 500); it is a 401.
            return _problem(401, "invalid channel token")
        except requests.RequestException:
            # The token's signing keys could not be fetched (botbuilder reads the OpenID metadata
            # with `requests`): an unverifiable token is refused, never let through.
            logger.warning("channel token signing keys unreachable")
            return _problem(401, "channel token could not be verified")
        return response or web.Response(status=201)

    return handle
