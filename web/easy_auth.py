"""The agent signed in through App Service Authentication (Easy Auth): read from X-MS-CLIENT-PRINCIPAL."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import math
from typing import Any

from aiohttp import web

from web.console_auth import AgentSession

logger = logging.getLogger(__name__)

PRINCIPAL_HEADER = "X-MS-CLIENT-PRINCIPAL"
NAME_CLAIMS = ("name", "preferred_username")
"""Fallbacks when the principal's ``name_typ`` claim is missing."""
ROLE_CLAIMS = ("roles",)


class EasyAuth:
    """Trusts the principal header only when configured to: App Service strips any client-sent copy of it
    and sets its own after the OpenID Connect sign-in, but anywhere else a caller could forge it."""

    def __init__(self, enabled: bool, role: str) -> None:
        self.enabled = enabled
        self.role = role

    def session(self, request: web.Request) -> AgentSession | None:
        """The signed-in agent, or None (not behind Easy Auth, no principal, or not in the agent role)."""
        if not self.enabled:
            return None
        principal = _decode(request.headers.get(PRINCIPAL_HEADER, ""))
        if principal is None:
            return None
        claims = [c for c in principal.get("claims", []) if isinstance(c, dict)]
        role_types = (str(principal.get("role_typ", "")), *ROLE_CLAIMS)
        roles = {str(c.get("val")) for c in claims if c.get("typ") in role_types}
        if self.role not in roles:
            logger.warning("console principal without the agent role")
            return None
        name_types = (str(principal.get("name_typ", "")), *NAME_CLAIMS)
        name = next((str(c.get("val")) for t in name_types for c in claims if t and c.get("typ") == t), "")
        if not name:
            return None
        # Easy Auth checks its own session on every request; nothing here expires on its own.
        return AgentSession(user=name, expires_at=math.inf)


def _decode(header: str) -> dict[str, Any] | None:
    if not header:
        return None
    try:
        data = json.loads(base64.b64decode(header, validate=True))
    except (binascii.Error, ValueError):  # not base64, not UTF-8 JSON
        logger.warning("unreadable console principal header")
        return None
    return data if isinstance(data, dict) else None
