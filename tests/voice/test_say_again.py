"""An utterance whose recognition fails, hangs past ``stt_timeout_seconds`` or is shed is never met with
silence: the caller hears "Sorry, could you say that again?" in their language, and the call goes on
listening, so the next utterance is answered; the third in a row goes to an agent instead."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

import app as app_module
from adapters.acs.simulator import SimulatedCall, open_call
from services.speech.base import SpeechUnavailable
from tests.support.bot_harness import make_test_settings
from tests.support.speech_fixtures import make_speech_pcm
from tests.support.voice_relay import HANG, RelayTextToSpeech, ScriptedSpeechToText
from tests.voice.scenarios import wait_reply

pytestmark = pytest.mark.voice

CASES = {
    "raises": (SpeechUnavailable("decoder failed"), "en-US", "Sorry, could you say that again?"),
    "engine_error": (RuntimeError("ctranslate2 out of memory"), "en-US", "Sorry, could you say that again?"),
    "hangs": (HANG, "en-US", "Sorry, could you say that again?"),
    "raises_es": (SpeechUnavailable("decoder failed"), "es-MX", "Perdón, ¿podría repetirlo?"),
}
NEXT = {
    "en-US": ("I lost my credit card", "To find your account"),
    "es-MX": ("perdí mi tarjeta", "Para encontrar"),
}


@asynccontextmanager
async def greeted_call(
    stt: ScriptedSpeechToText, locale: str, tmp_path, knowledge_index_dir, trained_recognizer, monkeypatch
) -> AsyncIterator[SimulatedCall]:
    """The app hearing through ``stt`` (synthesis relayed, quick), and a softphone call to it past the
    greeting; hung up at the end."""
    tts = RelayTextToSpeech(first_frame_s=0.0, ms_per_char=5)
    monkeypatch.setattr(app_module, "create_tts", lambda settings: tts)
    voice = {"warm_up_speech": False, "stt_timeout_seconds": 1.0}
    app = await app_module.create_app(
        make_test_settings(tmp_path, knowledge_index_dir, voice=voice), trained_recognizer
    )
    app[app_module.SERVICES_KEY].stt = stt
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        url = str(server.make_url("/ws/media")).replace("http://", "ws://")
        async with aiohttp.ClientSession() as http:
            call = await open_call(http, url, "+14255550123", locale)
            await call.listen_until_quiet(quiet_s=0.3, timeout_s=10.0)
            yield call
            await call.hang_up()
    finally:
        await server.close()


@pytest.mark.parametrize("case", list(CASES))
async def test_an_utterance_not_recognised_is_asked_again_and_the_next_is_answered(
    case: str, tmp_path, knowledge_index_dir, trained_recognizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    failure, locale, say_again = CASES[case]
    words, answer = NEXT[locale]
    stt = ScriptedSpeechToText(failure, words, language=locale)
    speech = make_speech_pcm("hello", locale, trim=True, noise_db=-60)  # one word: one stream
    fixtures = (tmp_path, knowledge_index_dir, trained_recognizer, monkeypatch)
    async with greeted_call(stt, locale, *fixtures) as call:
        greeted = len(call.result.replies)
        await call.say(speech)
        spoke_until = call.result.speech_sent_at[-1][1]
        asked_at = await wait_reply(call, say_again, greeted, timeout_s=5.0)
        await call.listen_until_quiet(quiet_s=0.3, timeout_s=10.0)
        heard = [t for t in call.result.audio_frames if t > spoke_until]
        await call.say(speech)
        answered = await wait_reply(call, answer, greeted + 1, timeout_s=5.0)
    replies = call.result.replies[greeted:]
    assert asked_at is not None, replies
    assert heard, "the re-ask was shown but not played"
    assert answered is not None, replies
    assert stt.opened == 2


HANDED_OVER = {
    "en-US": ("Sorry, could you say that again?", "I'm having trouble understanding"),
    "es-MX": ("Perdón, ¿podría repetirlo?", "Tengo problemas para entenderle"),
}


@pytest.mark.parametrize("locale", list(HANDED_OVER))
async def test_a_caller_never_recognised_is_asked_twice_then_handed_to_an_agent(
    locale: str, tmp_path, knowledge_index_dir, trained_recognizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A line the engine cannot hear (or a server shedding every decode) must not loop on "say that again"
    # forever: after two re-asks the caller goes to a person, with the bot's transfer prompt and a handoff.
    say_again, transfer = HANDED_OVER[locale]
    stt = ScriptedSpeechToText(SpeechUnavailable("decoder failed"), language=locale)
    speech = make_speech_pcm("hello", locale, trim=True, noise_db=-60)
    fixtures = (tmp_path, knowledge_index_dir, trained_recognizer, monkeypatch)
    async with greeted_call(stt, locale, *fixtures) as call:
        greeted = len(call.result.replies)
        for _ in range(3):
            await call.say(speech)
            await call.listen_until_quiet(quiet_s=0.5, timeout_s=10.0)
        handed_over = await wait_reply(call, transfer, greeted, timeout_s=5.0)
        await call.listen_until_quiet(quiet_s=0.5, timeout_s=5.0)
    replies = call.result.replies[greeted:]
    assert handed_over is not None, replies
    assert [r for r in replies if r == say_again] == [say_again, say_again], replies
    assert call.result.transfers, "no transfer was asked for"
