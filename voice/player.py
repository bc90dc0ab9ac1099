"""Paced sender: bot audio goes out one 20 ms frame per 20 ms (plus a small lead), so StopAudio cuts fast."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from services.speech.base import FRAME_BYTES, FRAME_MS

FRAME_S = FRAME_MS / 1000


async def reframe(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """Re-cut any chunking into exact 640-byte frames (the last zero-padded)."""
    buf = b""
    async for chunk in chunks:
        buf += chunk
        while len(buf) >= FRAME_BYTES:
            yield buf[:FRAME_BYTES]
            buf = buf[FRAME_BYTES:]
    if buf:
        yield buf + b"\x00" * (FRAME_BYTES - len(buf))


class PacedSender:
    """Sends frames on a 20 ms schedule; records how late each send was against its slot."""

    def __init__(
        self,
        send: Callable[[bytes], Awaitable[None]],
        lead_frames: int = 3,
        lateness: list[float] | None = None,
    ) -> None:
        self._send = send
        self._lead = lead_frames
        self.lateness = lateness if lateness is not None else []

    async def play(
        self, frames: AsyncIterator[bytes], on_first: Callable[[float], None] | None = None
    ) -> int:
        """Send every frame; returns the count. Cancel the task to stop (barge-in)."""
        start = 0.0
        n = 0
        async for frame in reframe(frames):
            now = time.monotonic()
            if n == 0:
                start = now
                if on_first is not None:
                    on_first(now)
            due = start + (n - self._lead) * FRAME_S
            if due > now:
                await asyncio.sleep(due - now)
                self.lateness.append(max(0.0, time.monotonic() - due))
            elif now - due > 5 * FRAME_S:
                # Synthesis fell behind real time (an underrun, not our lateness): restart the clock.
                start = now - (n - self._lead) * FRAME_S
            await self._send(frame)
            n += 1
        return n
