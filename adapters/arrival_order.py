"""Requests multiplexed on one streaming socket, taken in arrival order within each conversation."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager


class Place:
    """One request's place in its socket's arrival order (see `ArrivalOrder`)."""

    def __init__(self, earlier: tuple[Place, ...]) -> None:
        self._earlier = earlier
        self._conversation_id: str | None = None
        self._known = asyncio.Event()  # set once the body named the conversation (or never will)
        self._finished = asyncio.Event()

    async def wait_turn(self, conversation_id: str) -> None:
        """Names this request's conversation, then waits until every request of that conversation that
        arrived earlier on the socket has finished; other conversations' requests are not waited for."""
        self._name(conversation_id)
        earlier, self._earlier = self._earlier, ()
        for place in earlier:
            await place._known.wait()  # an earlier body still in transit: whose is it?
            if place._conversation_id == conversation_id:
                await place._finished.wait()

    def _name(self, conversation_id: str | None) -> None:
        if not self._known.is_set():
            self._conversation_id = conversation_id
            self._known.set()


class ArrivalOrder:
    """One per socket. botframework-streaming runs every request it receives as a task of its own, and
    those tasks race: one whose body stream is already buffered runs ahead of an earlier one still
    waiting for its body, so a conversation's requests can reach the turn lock out of order (four DTMF
    keys sent at once became a wrong PIN). The turn lock cannot restore the order: it only sees who
    comes first. So each request takes its place when it arrives and, once its body names the
    conversation, waits for the earlier requests of that conversation to finish."""

    def __init__(self) -> None:
        self._pending: list[Place] = []
        """Arrived and not finished, in arrival order."""

    @contextmanager
    def arrive(self) -> Iterator[Place]:
        """Enter synchronously, before the request's first await: that is its arrival order."""
        place = Place(tuple(self._pending))
        self._pending.append(place)
        try:
            yield place
        finally:
            place._name(None)  # a request refused before naming its conversation holds nobody up
            place._finished.set()
            self._pending.remove(place)
