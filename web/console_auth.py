"""Agent console sign-in: one shared credential, HMAC-signed revocable session cookie, throttled attempts."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import sys
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

COOKIE_NAME = "agent_session"
SESSION_SECONDS = 8 * 3600
MAX_FAILURES = 5
"""Sign-in attempts one client address may make per window without succeeding."""
MAX_ACCOUNT_FAILURES = 10
"""Failed sign-ins to one account per window, from all addresses together (password spraying)."""
FAILURE_WINDOW_SECONDS = 300.0
MAX_TRACKED = 10_000
"""Addresses/accounts remembered at once: a flood from many addresses must not grow memory forever."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class AgentSession:
    user: str
    expires_at: float


class ConsoleAuth:
    """Checks the shared credential and issues/verifies signed session tokens.

    The signing key is derived from the password, so every instance that shares the credential
    accepts the same cookies, and changing the password signs everybody out.
    """

    def __init__(
        self,
        user: str,
        password: str,
        session_seconds: int = SESSION_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not user or not password:
            raise ValueError("the agent console needs a user name and a password")
        self._user = user.encode("utf-8")
        self._password = password.encode("utf-8")
        self._key = hmac.new(self._password, b"contoso-agent-console-session-v1", hashlib.sha256).digest()
        self._session_seconds = session_seconds
        self._clock = clock
        self._failures: defaultdict[str, deque[float]] = defaultdict(deque)
        self._account_failures: defaultdict[str, deque[float]] = defaultdict(deque)
        self._revoked: dict[str, float] = {}  # session nonce -> its expiry

    @classmethod
    def from_settings(cls, user: str, password: str, production: bool = False) -> ConsoleAuth:
        """With no password configured, make one up and show it once on stdout (never in the logs);
        production mode never does (it refuses to start without a password, see security.production)."""
        if password:
            return cls(user, password)
        if production:
            raise ValueError("HANDOFF__CONSOLE_PASSWORD is required in production")
        generated = secrets.token_urlsafe(12)
        print(
            f"Agent console: no HANDOFF__CONSOLE_PASSWORD set; sign in at /agent as '{user}' "
            f"with this one-time password: {generated}",
            file=sys.stdout,
            flush=True,
        )
        return cls(user, generated)

    def check_password(self, user: str, password: str) -> bool:
        # Compare both fields every time so timing does not reveal which one was wrong.
        user_ok = hmac.compare_digest(user.encode("utf-8"), self._user)
        password_ok = hmac.compare_digest(password.encode("utf-8"), self._password)
        return user_ok and password_ok

    def _recent(self, table: defaultdict[str, deque[float]], key: str) -> int:
        attempts = table[key]
        horizon = self._clock() - FAILURE_WINDOW_SECONDS
        while attempts and attempts[0] < horizon:
            attempts.popleft()
        if not attempts:
            table.pop(key, None)
        return len(attempts)

    def _count(self, table: defaultdict[str, deque[float]], key: str) -> float:
        if key not in table and len(table) >= MAX_TRACKED:
            table.pop(next(iter(table)))
        stamp = self._clock()
        table[key].append(stamp)
        return stamp

    @staticmethod
    def _uncount(table: defaultdict[str, deque[float]], key: str, stamp: float) -> None:
        attempts = table.get(key)
        if attempts is not None and stamp in attempts:
            attempts.remove(stamp)

    def throttled(self, client: str) -> bool:
        """True when this client has used up its attempts for the window (brute-force brake)."""
        return self._recent(self._failures, client) >= MAX_FAILURES

    def begin_attempt(self, client: str) -> float | None:
        """Count a sign-in attempt as failed *before* its form is read (None: no attempts left).

        Checking and counting happen with no await in between, so concurrent attempts whose bodies
        arrive slowly cannot all pass the check before any of them is counted. The ticket returned
        is handed back to ``check`` so a right password takes its attempt back."""
        if self.throttled(client):
            return None
        return self._count(self._failures, client)

    def check(self, client: str, ticket: float, user: str, password: str) -> bool | None:
        """The credential check of an attempt begun with ``begin_attempt``: True (signed in; the attempt
        no longer counts), False (wrong), None (this account is locked: too many failures from anywhere)."""
        if self._recent(self._account_failures, user) >= MAX_ACCOUNT_FAILURES:
            return None
        if self.check_password(user, password):
            self._uncount(self._failures, client, ticket)
            return True
        self._count(self._account_failures, user)
        return False

    def revoke(self, token: str | None) -> None:
        """Sign a session out on the server: its cookie is refused from now on, even if kept."""
        data = self._payload(token)
        if data is None:
            return
        now = self._clock()
        for nonce in [n for n, expiry in self._revoked.items() if expiry <= now]:
            del self._revoked[nonce]
        self._revoked[str(data.get("n", ""))] = float(data["exp"])

    def issue(self, user: str) -> str:
        payload = json.dumps(
            {"u": user, "exp": int(self._clock() + self._session_seconds), "n": secrets.token_hex(8)},
            separators=(",", ":"),
        ).encode("utf-8")
        body = _b64(payload)
        signature = _b64(hmac.new(self._key, body.encode("ascii"), hashlib.sha256).digest())
        return f"{body}.{signature}"

    def _payload(self, token: str | None) -> dict[str, Any] | None:
        """The signed payload of a token issued here, else None."""
        if not token or not token.isascii() or token.count(".") != 1:
            return None  # a cookie with other characters was never issued here
        body, signature = token.split(".")
        expected = _b64(hmac.new(self._key, body.encode("ascii"), hashlib.sha256).digest())
        if not hmac.compare_digest(signature, expected):
            return None
        try:
            data = json.loads(_unb64(body))
            float(data["exp"])
        except (ValueError, KeyError, TypeError):
            return None
        return data if isinstance(data, dict) else None

    def verify(self, token: str | None) -> AgentSession | None:
        data = self._payload(token)
        if data is None or str(data.get("n", "")) in self._revoked:
            return None
        session = AgentSession(user=str(data.get("u", "")), expires_at=float(data["exp"]))
        return session if session.expires_at > self._clock() else None

    @property
    def session_seconds(self) -> int:
        return self._session_seconds
