"""CLU with its embedded twin: when CLU fails or overruns its budget, the embedded recognizer answers."""

from __future__ import annotations

import asyncio

from botbuilder.core import RecognizerResult

from core.resilience import TwinFallback
from recognizers.base import CallerRecognizer, RecognizerUnavailable


class FallbackRecognizer(CallerRecognizer):
    """``CallerRecognizer`` that asks CLU and, on ``RecognizerUnavailable`` (refused, timed out, 4xx/5xx)
    or an open circuit, the embedded recognizer trained from the same project file, for that turn."""

    def __init__(self, azure: CallerRecognizer, twin: CallerRecognizer, fallback: TwinFallback) -> None:
        self.azure = azure
        self.twin = twin
        self.fallback = fallback

    async def warm_up(self) -> None:
        await asyncio.gather(self.azure.warm_up(), self.twin.warm_up())

    async def close(self) -> None:
        close = getattr(self.azure, "close", None)
        if close is not None:
            await close()

    async def recognize_text(self, text: str, locale_hint: str | None = None) -> RecognizerResult:
        return await self.fallback.call(
            lambda: self.azure.recognize_text(text, locale_hint),
            lambda: self.twin.recognize_text(text, locale_hint),
            (RecognizerUnavailable,),
        )
