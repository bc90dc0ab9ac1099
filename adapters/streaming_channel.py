"""Bot Framework streaming on `GET /api/messages` (the telephony channel's WebSocket), made to work.

botbuilder-python's `CloudAdapter._connect` carries the protocol but fails a real channel, so this
module replaces that one method and the request handler around botbuilder's own pieces:
- with no app id (local mode) and no token it still hands the missing header to the JWT validator,
  which raises "argument auth_header is null" (a 500); the HTTP path treats the same case as anonymous;
- a token that does not verify must be a 401 before the socket opens (botbuilder's untyped errors are
  turned into PermissionError by `adapters.channel_auth.RefusingAuthentication`);
- its request handler turns a body it cannot read into a 500 carrying the exception's text, and
  answers a GET it does not know with nothing at all;
- it runs each request as a task of its own, so a conversation's requests can overtake each other
  (`adapters.arrival_order`), and it knows nothing of admission control (`core.admission`);
- three defects of botframework-streaming itself, worked around below (see docs/streaming.md).
"""

from __future__ import annotations

import asyncio
import json
import logging
from contextlib import nullcontext
from datetime import datetime
from http import HTTPStatus
from typing import Any
from uuid import UUID

from aiohttp import WSMsgType, web
from botbuilder.core import Bot, InvokeResponse
from botbuilder.core.streaming import StreamingActivityProcessor, StreamingRequestHandler
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.integration.aiohttp.cloud_adapter import _StreamingConnectorFactory
from botbuilder.integration.aiohttp.streaming import AiohttpWebSocket
from botbuilder.schema import Activity, Attachment
from botframework.connector.auth import (
    AuthenticateRequestResult,
    AuthenticationConstants,
    BotFrameworkAuthentication,
    ClaimsIdentity,
    ServiceClientCredentialsFactory,
)
from botframework.streaming import ReceiveRequest, ReceiveResponse, StreamingRequest, StreamingResponse
from botframework.streaming.payloads import ContentStream
from botframework.streaming.payloads.assemblers import ReceiveResponseAssembler
from botframework.streaming.payloads.models import Header, PayloadTypes, ResponsePayload
from botframework.streaming.transport.web_socket import (
    WebSocket,
    WebSocketMessage,
    WebSocketMessageType,
    WebSocketServer,
)

from adapters.app_keys import ADMISSION_KEY
from adapters.arrival_order import ArrivalOrder, Place
from adapters.messages_endpoint import AT_CAPACITY, activity_problem, starts_conversation
from core.admission import AdmissionControl

logger = logging.getLogger(__name__)

AUTH_HEADER = "Authorization"
# The channel names itself in this header on the upgrade; botbuilder checks it against the signing
# key's endorsements (and refuses a token-checked socket without it).
CHANNEL_ID_HEADER = "ChannelId"


class StreamingSocketClosed(Exception):
    """The channel closed the socket (or it failed): ends botbuilder's receive loop."""


class ChannelSocket(AiohttpWebSocket):
    """botbuilder's aiohttp socket wrapper raises ValueError ("257 is not a valid WebSocketMessageType")
    when aiohttp reports the socket closed; this ends the receive loop with a named exception instead."""

    async def receive(self) -> WebSocketMessage:
        message = await self._aiohttp_ws.receive()
        if message.type == WSMsgType.BINARY:
            return WebSocketMessage(message_type=WebSocketMessageType.BINARY, data=list(message.data))
        if message.type == WSMsgType.TEXT:
            return WebSocketMessage(message_type=WebSocketMessageType.TEXT, data=list(message.data.encode()))
        raise StreamingSocketClosed(f"socket {message.type.name.lower()}")


class _ResponseAssembler(ReceiveResponseAssembler):
    """botbuilder's response assembler reads a stream id as ``UUID(int=int(id))``, so a response with a
    body (the channel answers every reply with a ResourceResponse) fails on the GUID the channel sends
    and the bot's send waits forever. This reads it as the request assembler does: ``UUID(id)``."""

    async def process_response(self, stream: list[int]) -> None:
        payload = ResponsePayload().from_json(bytes(stream).decode("utf-8-sig"))
        response = ReceiveResponse(status_code=payload.status_code, streams=[])
        for description in payload.streams or []:
            identifier = UUID(description.id)
            assembler = self._stream_manager.get_payload_assembler(identifier)
            assembler.content_type = description.content_type
            assembler.content_length = description.length
            content = ContentStream(identifier=identifier, assembler=assembler)
            content.length = description.length
            content.content_type = description.content_type
            response.streams.append(content)
        await self._on_completed(self.identifier, response)


def use_fixed_response_assembler(server: WebSocketServer) -> None:
    """Make this socket's assembler manager build `_ResponseAssembler`s (botbuilder offers no hook)."""
    manager = server._protocol_adapter._assembler_manager
    build = manager._create_payload_assembler

    def create(header: Header) -> Any:
        if header.type == PayloadTypes.RESPONSE:
            return _ResponseAssembler(header, manager._stream_manager, manager._on_receive_response)
        return build(header)

    manager._create_payload_assembler = create


def stop_send_queue(server: WebSocketServer) -> None:
    """botbuilder's SendQueue starts a task that loops forever, even after its socket has closed (one
    leaked task per call); there is no handle to cancel it, so its next item makes it stop."""
    queue = server._sender._send_queue

    async def stop(_item: object) -> None:
        raise asyncio.CancelledError  # not caught by the queue's `except Exception`: the task ends

    queue._action = stop
    queue.post(None)


class StreamingUnauthorized(Exception):
    """The upgrade carried no token, or one that does not verify, while an app id is configured."""


async def authenticate_upgrade(
    request: web.Request,
    authentication: BotFrameworkAuthentication,
    credentials: ServiceClientCredentialsFactory,
) -> AuthenticateRequestResult:
    """The same decision as the HTTP path, made on the upgrade request before the socket opens."""
    auth_header = request.headers.get(AUTH_HEADER)
    channel_id = request.headers.get(CHANNEL_ID_HEADER)
    if not auth_header and await credentials.is_authentication_disabled():
        # What botbuilder's HTTP path does for a request without a token in local mode.
        result = AuthenticateRequestResult()
        result.claims_identity = ClaimsIdentity({}, True, AuthenticationConstants.ANONYMOUS_AUTH_TYPE)
        result.audience = AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE
        result.caller_id = None
        return result
    if not auth_header:
        raise StreamingUnauthorized("no channel token")
    try:
        return await authentication.authenticate_streaming_request(auth_header, channel_id)
    except PermissionError as error:  # every failure to verify (RefusingAuthentication), no ChannelId
        raise StreamingUnauthorized("channel token not verified") from error


class CheckedStreamingRequestHandler(StreamingRequestHandler):
    """botbuilder's handler with the POST path rewritten: bodies are checked as on the HTTP path (400,
    never a 500 with an exception text), unknown paths get 404, a conversation's requests are taken in
    the order they arrived, and new conversations are shed under overload as on the HTTP path (503)."""

    def __init__(
        self,
        bot: Bot,
        activity_processor: StreamingActivityProcessor,
        web_socket: WebSocket,
        admission: AdmissionControl | None = None,
    ) -> None:
        super().__init__(bot, activity_processor, web_socket)
        self._order = ArrivalOrder()
        self._admission = admission

    async def process_request(
        self, request: ReceiveRequest, _logger: object, context: object
    ) -> StreamingResponse:
        # botframework-streaming starts one task per request as its header completes and calls this
        # before that task awaits anything: entering here is the request's arrival on the socket.
        with self._order.arrive() as place:
            return await self._process(request, place)

    async def _process(self, request: ReceiveRequest, place: Place) -> StreamingResponse:
        if request.verb != StreamingRequest.POST:
            return self._handle_custom_paths(request, StreamingResponse()) or _answer(HTTPStatus.NOT_FOUND)
        try:
            body = json.loads(await request.read_body_as_str())
        except (ValueError, UnicodeDecodeError, RecursionError):
            return _answer(HTTPStatus.BAD_REQUEST, {"error": "body is not valid JSON"})
        problem = activity_problem(body)
        if problem is not None:
            return _answer(problem[0], {"error": problem[1]})
        activity = Activity().deserialize(body)
        # Every request on one socket comes from the same channel: the first one names its service URL,
        # and botbuilder's connector for the socket refuses (raises) any other.
        if not self.service_url:
            self._service_url = activity.service_url
        elif activity.service_url != self.service_url:
            return _answer(HTTPStatus.BAD_REQUEST, {"error": "serviceUrl differs from this socket's"})
        conversation_id = str(activity.conversation.id)
        admission = self._admission
        if admission is not None and not admission.admit(conversation_id, starts_conversation(body)).admitted:
            # A streaming response has a status and body streams, no headers: Retry-After rides in the body.
            retry_after = admission.settings.retry_after_seconds
            return _answer(
                HTTPStatus.SERVICE_UNAVAILABLE, {"error": AT_CAPACITY, "retryAfterSeconds": retry_after}
            )
        self._conversations.setdefault(conversation_id, datetime.now())
        # Streams after the first are inline attachments (botbuilder's handler does the same).
        if len(request.streams) > 1:
            activity.attachments = (activity.attachments or []) + [
                Attachment(content_type=stream.content_type, content=stream.stream)
                for stream in request.streams[1:]
            ]
        with admission.turn() if admission is not None else nullcontext():
            await place.wait_turn(conversation_id)
            try:
                invoke_response = await self._activity_processor.process_streaming_activity(
                    activity, self._bot.on_turn
                )
            except Exception:
                # What aiohttp does for a POST whose turn raised past the error handler (a 500, logged),
                # without the exception's text; otherwise the channel would wait for an answer forever.
                logger.exception("streaming turn failed", extra={"conversation_id": conversation_id})
                return _answer(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": "the turn failed"})
        if not invoke_response:
            return _answer(HTTPStatus.OK)
        return _answer(invoke_response.status, invoke_response.body)


def _answer(status: int, body: object = None) -> StreamingResponse:
    response = StreamingResponse(status_code=int(status))
    if body is not None:
        response.set_body(json.dumps(body))
    return response


class _SocketActivityProcessor(StreamingActivityProcessor):
    """Runs each activity from the socket through the adapter (middleware, turn lock, telemetry,
    error handler), with replies sent back over the same socket."""

    def __init__(
        self,
        result: AuthenticateRequestResult,
        adapter: CloudAdapter,
        bot: Bot,
        socket: AiohttpWebSocket,
        admission: AdmissionControl | None,
    ) -> None:
        self._result = result
        self._adapter = adapter
        self._handler = CheckedStreamingRequestHandler(bot, self, socket, admission)
        use_fixed_response_assembler(self._handler._server)
        # Connectors made for this socket's turns send over the socket instead of HTTP.
        self._result.connector_factory = _StreamingConnectorFactory(self._handler)

    async def listen(self) -> None:
        try:
            await self._handler.listen()
        finally:
            stop_send_queue(self._handler._server)

    async def process_streaming_activity(
        self, activity: Activity, bot_callback_handler: Any
    ) -> InvokeResponse:
        return await self._adapter.process_activity(self._result, activity, bot_callback_handler)


class VoiceCloudAdapter(CloudAdapter):
    """CloudAdapter whose WebSocket path authenticates like the HTTP path (see the module docstring)."""

    def __init__(
        self, authentication: BotFrameworkAuthentication, credentials: ServiceClientCredentialsFactory
    ) -> None:
        super().__init__(authentication)
        self._credentials = credentials

    async def _connect(self, bot: Bot, request: web.Request, ws_response: web.WebSocketResponse) -> None:
        try:
            result = await authenticate_upgrade(request, self.bot_framework_authentication, self._credentials)
        except StreamingUnauthorized as refused:
            logger.info("streaming upgrade refused", extra={"reason": str(refused)})
            raise web.HTTPUnauthorized(
                text=json.dumps({"error": "invalid channel token"}), content_type="application/json"
            ) from None
        await ws_response.prepare(request)
        # The HTTP path's admission control (shared per instance; absent when the app does not wire it).
        admission = request.app.get(ADMISSION_KEY)
        await _SocketActivityProcessor(result, self, bot, ChannelSocket(ws_response), admission).listen()
