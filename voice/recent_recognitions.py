"""The recognizer's answers of the last seconds within one call: a caller's words are recognised once, at
the pause (turn completion), and the bot's turn on the same words a moment later reuses that answer.

Only within a call: the call's pipeline runs its stages (and so the bot's turns) in a context that names
the call (``within_call``). Two callers saying the same words, and every HTTP/Emulator turn (no call),
are recognised afresh: nothing one conversation said is answered from another's recognition."""

from __future__ import annotations

import asyncio
import contextvars
import copy
import time
from collections import OrderedDict

from botbuilder.core import RecognizerResult

from recognizers.base import CallerRecognizer

_CALL: contextvars.ContextVar[str | None] = contextvars.ContextVar("recognitions_call", default=None)

_Key = tuple[str, str, str | None]
"""(call id, words, locale hint)"""


def within_call(call_id: str) -> contextvars.Context:
    """A context for a call's tasks: recognitions made in it are shared by that call only."""
    context = contextvars.copy_context()
    context.run(_CALL.set, call_id)
    return context


class RecentRecognitions(CallerRecognizer):
    """Wraps the app's recognizer. In one call, the same (text, locale hint) within ``ttl_s`` gets a copy
    of the same answer, or waits for the recognition already under way; at most ``keep`` are remembered.
    Not a general cache (an LRU library): what matters is sharing the task in flight and forgetting soon."""

    def __init__(self, recognizer: CallerRecognizer, keep: int = 64, ttl_s: float = 10.0) -> None:
        self.recognizer = recognizer
        self.keep, self.ttl_s = keep, ttl_s
        self._recent: OrderedDict[_Key, tuple[float, asyncio.Task[RecognizerResult]]] = OrderedDict()

    async def warm_up(self) -> object:
        return await self.recognizer.warm_up()

    async def recognize_text(self, text: str, locale_hint: str | None = None) -> RecognizerResult:
        call = _CALL.get()
        if call is None:  # not in a call (HTTP, Emulator): nothing to share
            return await self.recognizer.recognize_text(text, locale_hint)
        key, now = (call, text.strip(), locale_hint), time.monotonic()
        while self._recent and now - next(iter(self._recent.values()))[0] > self.ttl_s:
            self._recent.popitem(last=False)
        found = self._recent.get(key)
        if found is None:
            task = asyncio.ensure_future(self.recognizer.recognize_text(key[1], locale_hint))
            self._recent[key] = (now, task)
            if len(self._recent) > self.keep:
                self._recent.popitem(last=False)
        else:
            task = found[1]
        try:
            # shield: a caller giving up (the verdict's timeout) leaves the answer to the next one
            result = await asyncio.shield(task)
        except Exception:
            if self._recent.get(key, (0.0, None))[1] is task and task.done():
                del self._recent[key]  # a failure is not remembered
            raise
        return copy.deepcopy(result)  # the bot's turn edits its result (entities)
