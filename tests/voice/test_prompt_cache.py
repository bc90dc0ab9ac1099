"""Fixed prompts play from memory after their first synthesis; prompts carrying a caller's data never do."""

from __future__ import annotations

from collections.abc import AsyncIterator

from dialogs.replies import Replies
from locales.catalogue import Catalogue
from tests.support.voice_relay import RelayTextToSpeech
from voice.prompt_cache import PromptAudioCache


class CountingTts(RelayTextToSpeech):
    def __init__(self) -> None:
        super().__init__(first_frame_s=0.0, ms_per_char=20)
        self.synthesized: list[str] = []

    async def synthesize(self, ssml_or_text: str, locale: str) -> AsyncIterator[bytes]:
        self.synthesized.append(ssml_or_text)
        async for frame in super().synthesize(ssml_or_text, locale):
            yield frame


def replies() -> Replies:
    return Replies(Catalogue.load(), {"en-US": "en-US-JennyNeural", "es-MX": "es-MX-DaliaNeural"})


async def play(tts: PromptAudioCache, ssml: str, locale: str = "en-US") -> bytes:
    return b"".join([frame async for frame in tts.synthesize(ssml, locale)])


async def test_a_fixed_prompt_is_synthesised_once_and_replayed_identically() -> None:
    bot = replies()
    prompt = bot.ask("en-US", "anything_else").speak
    engine = CountingTts()
    tts = PromptAudioCache(engine, bot.fixed_speech())
    first, second = await play(tts, prompt), await play(tts, prompt)
    assert first == second and first
    assert engine.synthesized == [prompt]


async def test_a_prompt_with_the_callers_name_is_never_kept() -> None:
    bot = replies()
    greeting = bot.say("en-US", "greeting.known", first_name="Carlos").speak
    assert greeting not in bot.fixed_speech()
    engine = CountingTts()
    tts = PromptAudioCache(engine, bot.fixed_speech())
    await play(tts, greeting)
    await play(tts, greeting)
    assert engine.synthesized == [greeting, greeting]


async def test_a_prompt_cut_by_barge_in_is_synthesised_again_next_time() -> None:
    bot = replies()
    prompt = bot.ask("es-MX", "anything_else").speak
    engine = CountingTts()
    tts = PromptAudioCache(engine, bot.fixed_speech())
    frames = tts.synthesize(prompt, "es-MX")
    await anext(frames)
    await frames.aclose()  # the caller talked over it
    whole = await play(tts, prompt, "es-MX")
    assert len(engine.synthesized) == 2 and whole == await play(tts, prompt, "es-MX")
    assert len(engine.synthesized) == 2
