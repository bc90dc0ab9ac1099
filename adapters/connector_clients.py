"""The Bot Framework clients a turn needs (connector, user token), made once per bot and channel host
instead of once per turn."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from botframework.connector import ConnectorClient
from botframework.connector.auth import (
    AuthenticationConstants,
    ClaimsIdentity,
    ConnectorFactory,
    UserTokenClient,
)

from adapters.channel_http import ChannelHttp

Client = TypeVar("Client")


def bot_app_id(claims_identity: ClaimsIdentity) -> str | None:
    """The app id botbuilder makes a turn's clients for (audience claim, else appid; None when anonymous)."""
    claim = claims_identity.get_claim_value(AuthenticationConstants.AUDIENCE_CLAIM)
    return claim or claims_identity.get_claim_value(AuthenticationConstants.APP_ID_CLAIM)


class _Kept(Generic[Client]):
    """The most recently used clients by key, at most ``size`` of them."""

    def __init__(self, size: int) -> None:
        self._clients: OrderedDict[tuple[str | None, ...], Client] = OrderedDict()
        self._size = size
        self._making = asyncio.Lock()

    async def get(self, key: tuple[str | None, ...], make: Callable[[], Awaitable[Client]]) -> Client:
        client = self._clients.get(key)
        if client is None:
            # One maker at a time: the first turns of calls arriving together would each make a client.
            async with self._making:
                client = self._clients.get(key)
                if client is None:
                    client = await make()
                    self._clients[key] = client
                    if len(self._clients) > self._size:
                        self._clients.popitem(last=False)
        self._clients.move_to_end(key)
        return client


class ReusedClients:
    """botbuilder's CloudAdapter makes a new ConnectorClient and UserTokenClient for every turn. Each one
    builds msrest's retry policy (a list of 999 status codes, each looked up in a list of 500: about
    6 ms of CPU, twice a turn) and its own HTTP session, so every turn also opened a new connection to
    the channel. A client depends only on the bot's app id, the channel's serviceUrl and the audience;
    credentials refresh their own tokens, so one client per key serves every turn. Their replies go over
    one aiohttp session (`ChannelHttp`), closed with ``close()``."""

    SIZE = 64
    """Channel hosts (serviceUrls) and audiences one bot replies to: a handful in practice."""

    def __init__(self) -> None:
        self._connectors: _Kept[ConnectorClient] = _Kept(self.SIZE)
        self._token_clients: _Kept[UserTokenClient] = _Kept(self.SIZE)
        self._http = ChannelHttp()

    def connector_factory(self, inner: ConnectorFactory, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        """``inner`` (botbuilder's factory for this request), answering from the kept clients."""
        return _ReusingConnectorFactory(inner, bot_app_id(claims_identity), self._connectors, self._http)

    async def user_token_client(
        self, claims_identity: ClaimsIdentity, make: Callable[[], Awaitable[UserTokenClient]]
    ) -> UserTokenClient:
        return await self._token_clients.get((bot_app_id(claims_identity),), make)

    async def close(self) -> None:
        await self._http.close()


class _ReusingConnectorFactory(ConnectorFactory):
    def __init__(
        self, inner: ConnectorFactory, app_id: str | None, kept: _Kept[ConnectorClient], http: ChannelHttp
    ) -> None:
        self._inner = inner
        self._app_id = app_id
        self._kept = kept
        self._http = http

    async def _made(self, service_url: str, audience: str) -> ConnectorClient:
        client = await self._http.send_over_aiohttp(await self._inner.create(service_url, audience))
        # msrest validates every reply against the models' `_validation` constraints before serialising
        # it; no botbuilder-schema or connector model declares one, so it never finds anything and cost
        # ~0.3 of the ~0.8 ms a reply's serialisation takes. Same bytes sent without it.
        client._serialize.client_side_validation = False
        return client

    async def create(self, service_url: str, audience: str) -> ConnectorClient:
        if not audience:  # the inner factory's own default audience: not part of the key
            return await self._made(service_url, audience)
        return await self._kept.get(
            (self._app_id, service_url, audience), lambda: self._made(service_url, audience)
        )
