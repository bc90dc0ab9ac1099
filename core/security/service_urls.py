"""Where the bot may send replies: an activity's ``serviceUrl`` must name a Bot Framework channel host."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from config import Settings

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


class ServiceUrlPolicy:
    """https on an allowed host (or a subdomain of one); plain or https loopback in development only.

    An activity's ``serviceUrl`` is not covered by the channel's token signature, so without this check
    anyone reaching ``/api/messages`` could make the bot POST to an address of their choosing.
    """

    def __init__(self, hosts: tuple[str, ...], allow_loopback: bool) -> None:
        self._hosts = tuple(host.strip().lower().lstrip("*").strip(".") for host in hosts if host.strip())
        self._allow_loopback = allow_loopback

    @classmethod
    def from_settings(cls, settings: Settings) -> ServiceUrlPolicy:
        return cls(settings.security.service_url_hosts, allow_loopback=not settings.is_production)

    def allows(self, url: str) -> bool:
        try:
            parts = urlsplit(url.strip())
            host = (parts.hostname or "").lower()
            parts.port  # noqa: B018 - raises ValueError on a port that is not a number
        except ValueError:
            return False
        if not host or parts.username or parts.password:
            return False
        if _is_loopback(host):
            return self._allow_loopback and parts.scheme in ("http", "https")
        if parts.scheme != "https":
            return False
        return any(host == allowed or host.endswith("." + allowed) for allowed in self._hosts)


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
