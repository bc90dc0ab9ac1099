"""Fixed prompts' audio, synthesised once: the second caller hears "How can I help you?" with no TTS wait.

Only prompts listed as fixed are kept (catalogue prompts with no placeholder, ``Replies.fixed_speech``),
so no caller's name, amount or number is ever held here; each is a few hundred kB of PCM at most.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection

from services.speech.base import TextToSpeech


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
