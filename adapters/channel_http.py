"""Replies to the channel sent over one aiohttp client session on the event loop, instead of botbuilder's
default (msrest sending through `requests` on a worker thread, one thread hop and a requests session
per reply: ~20 % of a turn's CPU in bench.http_turns). botframework-connector 4.17.1 takes a custom
msrest pipeline, but its own aiohttp pieces do not fit: `aiohttp_bf_pipeline` still sends with
requests, and msrest's `AioHTTPSender` drops the request's headers and body and has no timeout. So the
sender is written here (~50 lines), with what the requests path did: the client's timeout, retries of
a connection that could not be made (nothing was sent yet), the channel token, the proxy variables,
and msrest's errors. Unlike requests, ~/.netrc is not read (the channel token is the reply's auth)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import aiohttp
from aiohttp.helpers import get_env_proxy_for_url  # aiohttp's own reading of the proxy variables
from botframework.connector.aio import ConnectorClient
from msrest.exceptions import ClientRequestError
from msrest.pipeline import AsyncHTTPPolicy, AsyncHTTPSender, AsyncPipeline, Request, Response
from msrest.pipeline.universal import RawDeserializer
from msrest.universal_http.aiohttp import AioHttpClientResponse
from yarl import URL

CONNECT_RETRIES = 3
"""As msrest's requests retry policy: a connection that could not be made is tried again 3 times."""
BACKOFF_SECONDS = 0.8
"""First wait before such a retry, doubled each time (msrest's backoff factor)."""


class _ChannelToken(AsyncHTTPPolicy):
    """The bot's bearer token on each reply, as msrest's requests credentials policy sets it: the
    credentials write their header into what they are given (nothing when the bot is anonymous)."""

    def __init__(self, credentials: Any) -> None:
        super().__init__()
        self._credentials = credentials

    async def send(self, request: Request, **kwargs: Any) -> Response:
        holder = SimpleNamespace(headers={})
        if getattr(self._credentials, "microsoft_app_id", None):
            # Getting a token may call the identity provider (MSAL, blocking): off the event loop.
            await asyncio.to_thread(self._credentials.signed_session, holder)
        else:
            self._credentials.signed_session(holder)
        token = holder.headers.get("Authorization")
        if token:
            request.http_request.headers["Authorization"] = token
        assert self.next is not None  # the pipeline links every policy to the next
        return await self.next.send(request, **kwargs)


def _env_proxy(url: str) -> tuple[URL | None, aiohttp.BasicAuth | None]:
    """The proxy the environment sets for ``url`` (HTTPS_PROXY, NO_PROXY...), as requests honoured it."""
    try:
        return get_env_proxy_for_url(URL(url))
    except LookupError:  # none set, or the host is excluded
        return None, None


class _AiohttpSender(AsyncHTTPSender):
    def __init__(
        self,
        session: aiohttp.ClientSession,
        timeout_seconds: float,
        proxy: tuple[URL | None, aiohttp.BasicAuth | None],
    ) -> None:
        self._session = session
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._proxy, self._proxy_auth = proxy

    async def __aenter__(self) -> _AiohttpSender:
        return self

    async def __aexit__(self, *exc_details: object) -> None:
        return None  # the session belongs to ChannelHttp

    def build_context(self) -> None:
        return None

    async def send(self, request: Request, **kwargs: Any) -> Response:
        http = request.http_request
        try:
            for attempt in range(CONNECT_RETRIES + 1):
                try:
                    raw = await self._session.request(
                        http.method,
                        http.url,
                        headers=dict(http.headers),
                        data=http.data,
                        timeout=self._timeout,
                        allow_redirects=False,  # replies go only to the allowed host, never onwards
                        proxy=self._proxy,
                        proxy_auth=self._proxy_auth,
                    )
                    break
                except aiohttp.ClientConnectorError:
                    if attempt == CONNECT_RETRIES:
                        raise
                    await asyncio.sleep(BACKOFF_SECONDS * 2**attempt)
            response = AioHttpClientResponse(http, raw)
            await response.load_body()
        except (aiohttp.ClientError, TimeoutError) as error:  # what the requests path raised
            raise ClientRequestError(f"Error occurred in request, {type(error).__name__}: {error}") from error
        return Response(request, response)


class ChannelHttp:
    """One aiohttp session for every reply to every channel host, made on first use (on the loop)."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    async def send_over_aiohttp(self, client: ConnectorClient) -> ConnectorClient:
        """``client``, its requests pipeline replaced by the same policies over the shared session."""
        if self._session is None or self._session.closed:
            # Not trust_env: that looks the proxy up and reads ~/.netrc on a worker thread for every
            # request (2 thread hops per reply); the proxy is looked up once per client instead.
            self._session = aiohttp.ClientSession()
        config = client.config
        proxy = await asyncio.to_thread(_env_proxy, config.base_url)
        policies: list[Any] = [config.user_agent_policy, RawDeserializer(), config.http_logger_policy]
        if config.credentials:
            policies.insert(1, _ChannelToken(config.credentials))
        core = client._client  # msrest's ServiceClientAsync, which runs the pipeline
        core.config.pipeline = AsyncPipeline(
            policies, _AiohttpSender(self._session, float(config.connection.timeout), proxy)
        )
        return client

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
