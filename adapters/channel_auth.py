"""Bot Framework authentication that refuses cleanly: any token it cannot verify is a 401, and replies go
only to allowed channel hosts."""

from __future__ import annotations

import logging

from botbuilder.schema import Activity
from botframework.connector import ConnectorClient
from botframework.connector.auth import (
    AuthenticateRequestResult,
    BotFrameworkAuthentication,
    ClaimsIdentity,
    ConnectorFactory,
    UserTokenClient,
)
from botframework.connector.skills import BotFrameworkClient

from adapters.connector_clients import ReusedClients
from core.security.service_urls import ServiceUrlPolicy

logger = logging.getLogger(__name__)


class RefusingAuthentication(BotFrameworkAuthentication):
    """Wraps botbuilder's authentication, whose token checks raise IndexError (a ``kid`` not among the
    signing keys), a bare Exception (an algorithm or endorsement it refuses), ValueError (no header on a
    WebSocket upgrade) or the key fetch's network errors: every one becomes PermissionError, which the
    CloudAdapter answers with 401. Connector clients are only made for allowed ``serviceUrl`` hosts, and
    are made once per host rather than once per turn (`ReusedClients`)."""

    def __init__(self, inner: BotFrameworkAuthentication, service_urls: ServiceUrlPolicy) -> None:
        self._inner = inner
        self._service_urls = service_urls
        self._clients = ReusedClients()

    async def authenticate_request(self, activity: Activity, auth_header: str) -> AuthenticateRequestResult:
        try:
            result = await self._inner.authenticate_request(activity, auth_header)
        except PermissionError:
            raise
        except Exception as error:  # botbuilder raises untyped errors for bad tokens (see class doc)
            logger.info("channel token refused", extra={"reason": type(error).__name__})
            raise PermissionError("channel token could not be verified") from error
        result.connector_factory = self._clients.connector_factory(
            result.connector_factory, result.claims_identity
        )
        return result

    async def authenticate_streaming_request(
        self, auth_header: str, channel_id_header: str
    ) -> AuthenticateRequestResult:
        try:
            return await self._inner.authenticate_streaming_request(auth_header, channel_id_header)
        except PermissionError:
            raise
        except Exception as error:  # as above, for the WebSocket upgrade
            logger.info("streaming channel token refused", extra={"reason": type(error).__name__})
            raise PermissionError("channel token could not be verified") from error

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        inner = self._inner.create_connector_factory(claims_identity)
        return _AllowedHostsConnectorFactory(
            self._clients.connector_factory(inner, claims_identity), self._service_urls
        )

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        return await self._clients.user_token_client(
            claims_identity, lambda: self._inner.create_user_token_client(claims_identity)
        )

    async def close(self) -> None:
        """Close the connections the replies went over."""
        await self._clients.close()

    def create_bot_framework_client(self) -> BotFrameworkClient:
        return self._inner.create_bot_framework_client()

    def get_originating_audience(self) -> str:
        return self._inner.get_originating_audience()

    async def authenticate_channel_request(self, auth_header: str) -> ClaimsIdentity:
        return await self._inner.authenticate_channel_request(auth_header)


class _AllowedHostsConnectorFactory(ConnectorFactory):
    """The last check before a reply leaves: the request check at ``/api/messages`` is the first."""

    def __init__(self, inner: ConnectorFactory, service_urls: ServiceUrlPolicy) -> None:
        self._inner = inner
        self._service_urls = service_urls

    async def create(self, service_url: str, audience: str) -> ConnectorClient:
        if not self._service_urls.allows(service_url):
            logger.warning("reply to a serviceUrl outside the allowed channel hosts refused")
            raise PermissionError("serviceUrl is not an allowed channel host")
        return await self._inner.create(service_url, audience)
