"""Speech decoding's own threads, apart from the default pool the bot's I/O helpers use.

``asyncio.to_thread`` shares one pool (``min(32, cores + 4)`` threads) with every state, CRM and NLU call
of a bot turn. With a dozen callers talking on two cores, decodes filled it and the bot's own work queued
~25 s behind them. A ``DecodeLane`` is one engine's executor: its decodes wait in its own queue, in order,
and it knows how long a new one would wait (``expected_wait_s``) and gives up on one whose turn has not
come within a bound (``SpeechShed``), so a caller is answered another way or asked again instead.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from services.speech.base import SpeechError

log = logging.getLogger(__name__)

T = TypeVar("T")

_EWMA = 0.3  # weight of the latest decode in the running mean of decode times


def _lower_priority(nice: int) -> None:
    """This thread (and the threads it starts: a model's own decoding threads) yields the CPU to the event
    loop and the bot's turns: a decode waits a little, a caller's audio and replies do not (Linux)."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)
    except (AttributeError, OSError) as exc:
        log.debug("decode lane priority unchanged: %s", exc)


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class SpeechShed(SpeechError):
    """A decode whose turn would come (or did not come) within its bound: dropped, not queued."""

    def __init__(self, message: str, waited: bool = False) -> None:
        super().__init__(message)
        self.waited = waited
        """True: it waited out its bound in the queue; False: it was refused on arrival."""


class _Job:
    __slots__ = ("dropped", "started_at")

    def __init__(self) -> None:
        self.started_at: float | None = None
        self.dropped = False


class DecodeLane:
    """One engine's decodes on ``workers`` threads of its own, first come first served.

    A whisper model decodes one utterance at a time (CTranslate2 ``num_workers=1``) on all the cores
    (``cpu_threads``), so its lane has one worker: a second thread would only wait inside CTranslate2,
    where nobody can see or drop its job. pocketsphinx's lane (short, per-chunk work) has one per core.

    ``nice``: the lane's threads run at that lower priority, and so do the threads a model built on the
    lane starts (CTranslate2's), which inherit it. Not for pocketsphinx: it decodes holding the GIL, and
    a descheduled holder would keep the event loop waiting."""

    def __init__(self, name: str, workers: int = 1, first_guess_s: float = 1.0, nice: int = 0) -> None:
        self.name, self.workers = name, workers
        self._executor = ThreadPoolExecutor(
            workers,
            thread_name_prefix=f"speech-{name}",
            initializer=functools.partial(_lower_priority, nice) if nice else None,
        )
        self._lock = threading.Lock()  # jobs start and end on the lane's threads
        self._queued: set[_Job] = set()
        self._running: set[_Job] = set()
        self._mean_s = first_guess_s
        """Running mean of a decode's time on this lane (a first guess until one has run)."""

    @property
    def busy(self) -> bool:
        """A decode running or waiting."""
        with self._lock:
            return bool(self._queued or self._running)

    def expected_wait_s(self) -> float:
        """How long a decode submitted now would wait before it starts (the jobs ahead, at the mean)."""
        with self._lock:
            if len(self._running) + len(self._queued) < self.workers:
                return 0.0
            now = time.monotonic()
            mean = self._mean_s
            # A decode past the mean is a long one: half a mean more, not "done any moment".
            left = sum(max(mean / 2, mean - (now - (j.started_at or now))) for j in self._running)
            return (left + mean * len(self._queued)) / self.workers

    async def run(self, fn: Callable[..., T], *args: object, max_wait_s: float | None = None) -> T:
        """``fn(*args)`` on the lane. With ``max_wait_s``, a decode that would wait longer is shed at
        once, and one still waiting after that long is dropped: both raise ``SpeechShed``. A cancelled
        decode that has not started never runs."""
        if max_wait_s is not None:
            expected = self.expected_wait_s()
            if expected > max_wait_s:
                raise SpeechShed(f"{self.name}: {expected:.1f} s of decodes ahead")
        job = _Job()
        with self._lock:
            self._queued.add(job)

        def work() -> T:
            with self._lock:
                if job.dropped:
                    raise SpeechShed(f"{self.name}: dropped before its turn")
                self._queued.discard(job)
                job.started_at = time.monotonic()
                self._running.add(job)
            try:
                return fn(*args)
            finally:
                with self._lock:
                    self._running.discard(job)
                    took = time.monotonic() - job.started_at
                    self._mean_s += _EWMA * (took - self._mean_s)

        future = asyncio.get_running_loop().run_in_executor(self._executor, work)
        try:
            if max_wait_s is not None:
                await asyncio.wait([future], timeout=max_wait_s)
                if not future.done() and self._drop(job):
                    future.cancel()
                    raise SpeechShed(f"{self.name}: not started within {max_wait_s:.1f} s", waited=True)
            return await future
        finally:
            if not future.done() or future.cancelled():
                self._drop(job)

    def _drop(self, job: _Job) -> bool:
        """Take a job that has not started out of the queue; False when it is already running or done."""
        with self._lock:
            if job.started_at is not None or job.dropped:
                return False
            job.dropped = True
            self._queued.discard(job)
            return True

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
