"""PIN lockout counters in the conversation state store, shared by every call and every bot instance."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from botbuilder.core import Storage

from config import PinLockoutSettings
from core.privacy.pseudonym import keyed_digest
from storage.conversation_locks import ConversationLocks

_KEY_PREFIX = "pinlockout/"
_CAS_RETRIES = 5


@dataclass(frozen=True)
class LockoutSubject:
    """Whose guesses are counted: ``kind`` is ``customer`` or ``caller_number``; ``key`` names the
    stored counter and is a keyed hash, so neither a customer number nor a phone number is written."""

    kind: str
    key: str


@dataclass(frozen=True)
class PinAttempt:
    allowed: bool
    """False: verification is locked for one of the subjects; the PIN must not be checked."""
    locking: tuple[LockoutSubject, ...] = ()
    """Subjects this attempt locks if it fails (it was the last guess their window allows)."""


class PinLockout:
    """Counts PIN attempts per subject in any botbuilder ``Storage`` (SQLite, Redis, Cosmos).

    An attempt is counted *before* the PIN is checked (``begin``) and the count is cleared when it
    succeeds (``succeeded``), so parallel calls cannot slip extra guesses in between a check and a
    count. Each update holds the subjects' cross-instance lock (the turn serializer's: Redis
    ``SET NX``, Cosmos lease, in-process for SQLite) and writes with an e_tag check as well."""

    def __init__(
        self,
        storage: Storage,
        locks: ConversationLocks,
        settings: PinLockoutSettings,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._storage = storage
        self._locks = locks
        self._settings = settings
        self._clock = clock
        secret = settings.subject_key.get_secret_value().encode()
        self._secret = secret or b"contoso-voicebot/pin-lockout"

    @property
    def lock_seconds(self) -> int:
        return self._settings.lock_seconds

    def subject(self, kind: str, value: str) -> LockoutSubject:
        digest = keyed_digest(self._secret, f"{kind}:{value.strip().upper()}")
        return LockoutSubject(kind, _KEY_PREFIX + digest[:40])

    def subjects(self, customer_number: str, caller_number: str | None = None) -> tuple[LockoutSubject, ...]:
        """The customer's counter, plus the caller number's when the caller was not known by number."""
        found = [self.subject("customer", customer_number)]
        if caller_number:
            found.append(self.subject("caller_number", caller_number))
        return tuple(found)

    def _fresh(self, doc: dict[str, Any] | None, now: float) -> tuple[list[float], float]:
        doc = doc or {}
        window = self._settings.window_seconds
        failures = [float(t) for t in doc.get("failures", []) if now - float(t) < window]
        return failures, float(doc.get("locked_until", 0.0))

    async def is_locked(self, subjects: Sequence[LockoutSubject]) -> bool:
        now = self._clock()
        found = await self._storage.read([s.key for s in subjects])
        return any(self._fresh(found.get(s.key), now)[1] > now for s in subjects)

    async def begin(self, subjects: Sequence[LockoutSubject]) -> PinAttempt:
        """Count one attempt for every subject, unless one of them is locked."""
        return await self._update(subjects, self._count)

    async def succeeded(self, subject: LockoutSubject) -> None:
        """The PIN was right: the customer's count starts again (a caller number's only ages out)."""
        await self._update([subject], lambda docs, now: ({s.key: {} for s in docs}, PinAttempt(True)))

    def _count(
        self, docs: dict[LockoutSubject, dict[str, Any] | None], now: float
    ) -> tuple[dict[str, Any] | None, PinAttempt]:
        state = {subject: self._fresh(doc, now) for subject, doc in docs.items()}
        if any(locked_until > now for _, locked_until in state.values()):
            return None, PinAttempt(False)
        changes: dict[str, Any] = {}
        locking: list[LockoutSubject] = []
        for subject, (failures, _) in state.items():
            failures.append(now)
            if len(failures) >= self._settings.max_failures:
                locking.append(subject)
                changes[subject.key] = {"failures": [], "locked_until": now + self._settings.lock_seconds}
            else:
                changes[subject.key] = {"failures": failures, "locked_until": 0.0}
        return changes, PinAttempt(True, tuple(locking))

    async def _update(
        self,
        subjects: Sequence[LockoutSubject],
        decide: Callable[[Any, float], tuple[dict[str, Any] | None, PinAttempt]],
    ) -> PinAttempt:
        ordered = sorted(set(subjects), key=lambda s: s.key)  # one lock order: no deadlock
        async with contextlib.AsyncExitStack() as held:
            for subject in ordered:
                await held.enter_async_context(self._locks.hold(subject.key))
            for attempt in range(_CAS_RETRIES):
                found = await self._storage.read([s.key for s in ordered])
                now = self._clock()
                docs = {s: _plain(found.get(s.key)) for s in ordered}
                changes, outcome = decide(docs, now)
                if not changes:
                    return outcome
                for subject in ordered:
                    etag = (found.get(subject.key) or {}).get("e_tag")
                    if subject.key in changes and etag:
                        changes[subject.key]["e_tag"] = etag
                try:
                    await self._storage.write(changes)
                    return outcome
                except KeyError:  # StorageConflictError, or MemoryStorage's own KeyError
                    if attempt == _CAS_RETRIES - 1:
                        raise
        raise AssertionError("unreachable")  # pragma: no cover


def _plain(item: Any) -> dict[str, Any] | None:
    if isinstance(item, dict):
        return {k: v for k, v in item.items() if k != "e_tag"}
    return None
