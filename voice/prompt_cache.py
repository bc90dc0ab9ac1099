"""Fixed prompts' audio, synthesised once: the second caller hears "How can I help you?" with no TTS wait.

Only prompts listed as fixed are kept (catalogue prompts with no placeholder, ``Replies.fixed_speech``),
so no caller's name, amount or number is ever held here; each is a few hundred kB of PCM at most.
``prerender`` synthesises them before any call: on a cold bot a dozen callers arriving at once hear the
greeting from memory instead of each waiting behind a dozen syntheses on two cores.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Collection, Iterable

from services.speech.base import SpeechError, TextToSpeech

log = logging.getLogger(__name__)


class PromptAudioCache:
    """A ``TextToSpeech`` in front of another: fixed prompts play from memory after their first synthesis."""

    def __init__(self, tts: TextToSpeech, fixed: Collection[str]) -> None:
        self._tts = tts
        self._fixed = frozenset(fixed)
        self._audio: dict[tuple[str, str], tuple[bytes, ...]] = {}

    async def synthesize(self, ssml_or_text: str, locale: str) -> AsyncIterator[bytes]:
        key = (ssml_or_text, locale)
        cached = self._audio.get(key)
        if cached is not None:
            for chunk in cached:
                yield chunk
            return
        chunks: list[bytes] = []
        async for chunk in self._tts.synthesize(ssml_or_text, locale):
            chunks.append(chunk)
            yield chunk
        if ssml_or_text in self._fixed:  # played to the end: a prompt cut by barge-in is not kept
            self._audio[key] = tuple(chunks)

    async def prerender(self, prompts: Iterable[tuple[str, str]]) -> int:
        """Synthesise fixed (SSML, locale) prompts not yet kept, one at a time (a start-up task must not
        take both cores from calls); how many were rendered. A prompt the engine fails on is left to be
        synthesised when first played."""
        rendered = 0
        for ssml, locale in prompts:
            if ssml not in self._fixed or (ssml, locale) in self._audio:
                continue
            try:
                async for _ in self.synthesize(ssml, locale):
                    pass
            except SpeechError as exc:
                log.warning("prompt not pre-rendered: %s", type(exc).__name__, extra={"locale": locale})
                continue
            rendered += 1
        return rendered
