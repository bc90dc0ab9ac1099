"""`/api/messages`: checks the request before botbuilder sees it, so bad input gets a clear 4xx."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable

import jwt
from aiohttp import web
from botbuilder.core import Bot, serializer_helper
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity
from msrest.exceptions import DeserializationError

from core.admission import AdmissionControl
from core.security.service_urls import ServiceUrlPolicy

logger = logging.getLogger(__name__)

CHANNEL_TOKEN_ALGORITHMS = ("RS256",)
"""What the Bot Framework channels sign with (botbuilder verifies RS256 only)."""


def _problem(status: int, title: str) -> web.Response:
    return web.json_response({"error": title}, status=status)


def _check_channel_token(request: web.Request) -> web.Response | None:
    """With an app id set: a 401 for a request whose bearer token cannot be a channel's, before the body
    is read (botbuilder verifies the signature of whatever passes)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme != "Bearer" or token.count(".") != 2:
        return _problem(401, "a Bot Framework channel token is required")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        return _problem(401, "the channel token is malformed")
    if header.get("alg") not in CHANNEL_TOKEN_ALGORITHMS or not isinstance(header.get("kid"), str):
        return _problem(401, "the channel token is not signed the way channels sign")
    return None


async def _read_activity(
    request: web.Request, service_urls: ServiceUrlPolicy
) -> tuple[dict, Activity] | web.Response:
    """The request's body and its Activity when it is a well-formed activity POST; otherwise the error
    response. The body is parsed and deserialized once, here, for the checks, admission and the turn."""
    if request.content_type != "application/json":
        return _problem(415, "Content-Type must be application/json")
    try:
        body = json.loads(await request.read())
    except web.HTTPRequestEntityTooLarge:
        raise
    except (ValueError, UnicodeDecodeError):
        return _problem(400, "body is not valid JSON")
    except RecursionError:  # thousands of nested brackets
        return _problem(400, "body nests too deeply")
    found = _checked_activity(body, service_urls)
    return _problem(*found) if isinstance(found, tuple) else (body, found)


def activity_problem(body: object, service_urls: ServiceUrlPolicy | None = None) -> tuple[int, str] | None:
    """What is wrong with an activity body (HTTP POST or streaming request), as (status, title); None
    when well formed. ``service_urls`` checks where replies would go (not needed on a socket, where
    replies go back over the socket)."""
    found = _checked_activity(body, service_urls)
    return found if isinstance(found, tuple) else None


def _checked_activity(body: object, service_urls: ServiceUrlPolicy | None) -> Activity | tuple[int, str]:
    """The Activity of a well-formed body, else what is wrong with it (see ``activity_problem``)."""
    if not isinstance(body, dict):
        return 400, "body must be a JSON object (an activity)"
    if not isinstance(body.get("type"), str) or not body["type"]:
        return 400, "activity has no type"
    conversation = body.get("conversation")
    if not isinstance(conversation, dict) or not conversation.get("id"):
        return 400, "activity has no conversation id"
    for party in ("from", "recipient"):  # every channel sends both; botbuilder's middleware reads their ids
        if not isinstance(body.get(party), dict):
            return 400, f"activity has no {party}"
    if not isinstance(body.get("serviceUrl"), str):
        return 400, "activity has no serviceUrl"
    # Replies would go there: never an arbitrary address.
    if service_urls is not None and not service_urls.allows(body["serviceUrl"]):
        return 403, "serviceUrl is not an allowed Bot Framework channel host"
    if not isinstance(body.get("channelId"), str) or not body["channelId"]:
        return 400, "activity has no channelId"
    try:  # botbuilder deserializes the same way; a field of the wrong shape would be a 500 there
        return Activity().deserialize(body)
    except (DeserializationError, TypeError, ValueError, AttributeError, RecursionError):
        return 400, "activity fields have the wrong shape"


def starts_conversation(body: dict) -> bool:
    """A call start: ``conversationUpdate`` with someone other than the bot joining."""
    if body.get("type") != "conversationUpdate":
        return False
    recipient = body.get("recipient") or {}
    added = body.get("membersAdded")
    return isinstance(added, list) and any(
        isinstance(m, dict) and m.get("id") != recipient.get("id") for m in added
    )


AT_CAPACITY = "the bot is at capacity: try again shortly"
"""What a shed request is told (HTTP POST or streaming request)."""


def _shed(retry_after: int) -> web.Response:
    response = _problem(503, AT_CAPACITY)
    response.headers["Retry-After"] = str(retry_after)
    return response


def messages_handler(
    adapter: CloudAdapter,
    bot: Bot,
    service_urls: ServiceUrlPolicy,
    require_token: bool,
    admission: AdmissionControl | None = None,
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """The handler; ``require_token`` (an app id is set) refuses requests without a channel token early;
    ``admission`` sheds new conversations under overload (never a turn of a call in progress)."""

    async def handle(request: web.Request) -> web.StreamResponse:
        if require_token:
            problem = _check_channel_token(request)
            if problem is not None:
                return problem
        if request.method == "GET":
            # The telephony channel talks over a WebSocket on the same path.
            socket = web.WebSocketResponse()
            if not socket.can_prepare(request).ok:
                return _problem(400, "expected a WebSocket upgrade")
            try:
                await adapter.process(request, bot, socket)
            except web.HTTPUnauthorized:  # channel_auth.RefusingAuthentication refused the upgrade
                return _problem(401, "channel token could not be verified")
            return socket
        checked = await _read_activity(request, service_urls)
        if isinstance(checked, web.Response):
            logger.info("rejected activity request", extra={"status": checked.status})
            return checked
        body, activity = checked
        if admission is None:
            return await _process(request, activity)
        if not admission.admit(str(body["conversation"]["id"]), starts_conversation(body)).admitted:
            return _shed(admission.settings.retry_after_seconds)
        with admission.turn():
            return await _process(request, activity)

    async def _process(request: web.Request, activity: Activity) -> web.StreamResponse:
        """What CloudAdapter.process does with a POST once it has read the body (botbuilder 4.17.1), given
        the Activity read above instead of parsing and deserializing the body a second time."""
        try:
            invoke_response = await adapter.process_activity(
                request.headers.get("Authorization", ""), activity, bot.on_turn
            )
        except (PermissionError, web.HTTPUnauthorized):  # botbuilder's refusal / RefusingAuthentication's
            return _problem(401, "channel token could not be verified")
        if invoke_response:
            return web.json_response(
                data=serializer_helper(invoke_response.body), status=invoke_response.status
            )
        return web.Response(status=201)

    return handle
