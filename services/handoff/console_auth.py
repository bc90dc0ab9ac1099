"""Agent console sign-in: one shared credential, HMAC-signed session cookie, throttled failures."""

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

COOKIE_NAME = "agent_session"
SESSION_SECONDS = 8 * 3600
MAX_FAILURES = 5
FAILURE_WINDOW_SECONDS = 300.0


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

    @classmethod
    def from_settings(cls, user: str, password: str) -> ConsoleAuth:
        """With no password configured, make one up and show it once on stdout (never in the logs)."""
        if password:
            return cls(user, password)
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

    def throttled(self, client: str) -> bool:
        """True when this client failed too often recently (brute-force brake)."""
        attempts = self._failures[client]
        horizon = self._clock() - FAILURE_WINDOW_SECONDS
        while attempts and attempts[0] < horizon:
            attempts.popleft()
        if not attempts:
            self._failures.pop(client, None)
        return len(attempts) >= MAX_FAILURES

    def record_failure(self, client: str) -> None:
        if len(self._failures) > 10_000:  # a flood from many addresses must not grow memory forever
            self._failures.pop(next(iter(self._failures)))
        self._failures[client].append(self._clock())

    def issue(self, user: str) -> str:
        payload = json.dumps(
            {"u": user, "exp": int(self._clock() + self._session_seconds), "n": secrets.token_hex(8)},
            separators=(",", ":"),
        ).encode("utf-8")
        body = _b64(payload)
        signature = _b64(hmac.new(self._key, body.encode("ascii"), hashlib.sha256).digest())
        return f"{body}.{signature}"

    def verify(self, token: str | None) -> AgentSession | None:
        if not token or not token.isascii() or token.count(".") != 1:
            return None  # a cookie with other characters was never issued here
        body, signature = token.split(".")
        expected = _b64(hmac.new(self._key, body.encode("ascii"), hashlib.sha256).digest())
        if not hmac.compare_digest(signature, expected):
            return None
        try:
            data = json.loads(_unb64(body))
            session = AgentSession(user=str(data["u"]), expires_at=float(data["exp"]))
        except (ValueError, KeyError, TypeError):
            return None
        return session if session.expires_at > self._clock() else None

    @property
    def session_seconds(self) -> int:
        return self._session_seconds
