"""Who is on the other end of a request: forwarded headers are believed only from a trusted proxy."""

from __future__ import annotations

import ipaddress
from typing import Any

from aiohttp import web

from config import SecuritySettings

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class TrustedProxies:
    """The reverse proxies in front of the bot (``SECURITY__TRUSTED_PROXIES``).

    A request whose TCP peer is one of them may name the client (``SECURITY__CLIENT_IP_HEADER``) and
    the scheme (``X-Forwarded-Proto``); from anyone else those headers are ignored, so a client cannot
    pick the address it is throttled under or make a plain-http request look secure.
    """

    def __init__(self, networks: tuple[str, ...], client_header: str = "X-Forwarded-For") -> None:
        self._networks: tuple[_Network, ...] = tuple(
            ipaddress.ip_network(network.strip(), strict=False) for network in networks if network.strip()
        )
        self._client_header = client_header

    @classmethod
    def from_settings(cls, security: SecuritySettings) -> TrustedProxies:
        return cls(security.trusted_proxies, security.client_ip_header)

    def _trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address.strip().strip("[]"))
        except ValueError:
            return False
        return any(ip in network for network in self._networks)

    @staticmethod
    def _peer(request: web.BaseRequest) -> str:
        peer: Any = request.transport.get_extra_info("peername") if request.transport else None
        if isinstance(peer, tuple) and peer:
            return str(peer[0])
        return request.remote or "unknown"

    def client(self, request: web.BaseRequest) -> str:
        """The client's address: the TCP peer, or (behind trusted proxies) the nearest untrusted hop
        they recorded, reading the header from the right as each proxy appends to it."""
        address = self._peer(request)
        if not self._trusted(address):
            return address
        hops = [hop.strip() for hop in request.headers.get(self._client_header, "").split(",") if hop.strip()]
        for hop in reversed(hops):
            if not self._trusted(hop):
                return hop
        return address

    def is_https(self, request: web.BaseRequest) -> bool:
        """True over TLS, or when a trusted proxy terminated TLS and says so in ``X-Forwarded-Proto``."""
        if request.transport is not None and request.transport.get_extra_info("sslcontext") is not None:
            return True
        if not self._trusted(self._peer(request)):
            return False
        forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[-1].strip().lower()
        return forwarded == "https"
