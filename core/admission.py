"""Admission control: when the event loop lags or too many turns are in flight, new conversations are turned
away (503 + Retry-After) so the calls already in progress keep their response time; their turns never are."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

from config import AdmissionSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Decision:
    admitted: bool
    reason: str = ""
    """``in_flight`` or ``event_loop_lag`` when shed."""


class AdmissionControl:
    """One per instance: counts turns in flight, samples event-loop lag, remembers admitted conversations."""

    PROBE_SECONDS = 0.05
    MAX_KNOWN = 50_000

    def __init__(self, settings: AdmissionSettings | None = None) -> None:
        self.settings = settings or AdmissionSettings()
        self.in_flight = 0
        self.shed = 0
        self._lags: deque[tuple[float, float]] = deque()
        self._known: OrderedDict[str, None] = OrderedDict()

    # ---- measurements --------------------------------------------------------------------------------
    def lag_ms(self) -> float:
        """The worst event-loop lag seen in the window."""
        horizon = time.monotonic() - self.settings.lag_window_seconds
        while self._lags and self._lags[0][0] < horizon:
            self._lags.popleft()
        return max((lag for _, lag in self._lags), default=0.0)

    async def _probe(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            asked = loop.time()
            await asyncio.sleep(self.PROBE_SECONDS)
            lag = max(0.0, loop.time() - asked - self.PROBE_SECONDS) * 1000
            self._lags.append((time.monotonic(), lag))

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Sample the loop's lag while the app runs (an aiohttp cleanup context wraps this)."""
        task = asyncio.create_task(self._probe())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    @contextlib.contextmanager
    def turn(self) -> Iterator[None]:
        self.in_flight += 1
        try:
            yield
        finally:
            self.in_flight -= 1

    # ---- the decision --------------------------------------------------------------------------------
    def _overloaded(self) -> str:
        bound = self.settings
        if bound.max_in_flight_turns and self.in_flight >= bound.max_in_flight_turns:
            return "in_flight"
        if bound.max_event_loop_lag_ms and self.lag_ms() > bound.max_event_loop_lag_ms:
            return "event_loop_lag"
        return ""

    def admit_new_call(self) -> Decision:
        """A new phone call (ACS IncomingCall): refused past the bounds, like a new conversation."""
        reason = self._overloaded()
        if reason:
            self.shed += 1
            log.warning("new call shed: %s", reason, extra={"event": "conversation_shed", "reason": reason})
        return Decision(not reason, reason)

    def admit(self, conversation_id: str, starts_conversation: bool) -> Decision:
        """A turn of a conversation this instance already admitted, or any turn that does not start a
        conversation (a call in progress may have begun on another instance), is always admitted."""
        if conversation_id in self._known:
            self._known.move_to_end(conversation_id)
            return Decision(True)
        if starts_conversation:
            reason = self._overloaded()
            if reason:
                self.shed += 1
                log.warning(
                    "new conversation shed: %s",
                    reason,
                    extra={"event": "conversation_shed", "reason": reason, "in_flight": self.in_flight},
                )
                return Decision(False, reason)
        self._known[conversation_id] = None
        if len(self._known) > self.MAX_KNOWN:
            self._known.popitem(last=False)
        return Decision(True)
