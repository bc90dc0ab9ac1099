"""Phone-band English whose words change the intent reaches the dialog the caller asked for."""

from __future__ import annotations

import pytest

from config import RoutingSettings
from recognizers.base import top_intent
from services.speech.embedded_stt import EmbeddedSpeechToText
from tests.support.speech_fixtures import frames, make_speech_pcm, telephone_band


async def heard(stt: EmbeddedSpeechToText, text: str) -> str:
    """What the embedded engine hears of ``text`` spoken by espeak-ng through an 8 kHz phone line."""
    pcm = telephone_band(make_speech_pcm(text, "en-US", lead_ms=300, trail_ms=600, noise_db=-70))
    stream = stt.open_stream("en-US")
    for frame in frames(pcm):
        await stream.push(frame)
    final = await stream.finish()
    await stream.close()
    return final.text


@pytest.mark.parametrize(
    ("said", "intent"),
    [
        # The call: heard as "are my credit card", it was confirmed as card payment details.
        ("I lost my credit card", "BlockCard"),
        # Each of these was missed on pocketsphinx alone (wrong intent or a confirmation question).
        pytest.param(
            "what do I owe on my credit card",
            "CardPaymentInfo",
            marks=pytest.mark.xfail(
                strict=True,
                reason="known miss (issue 13 item 3, no domain vocabulary biasing yet): whisper tiny.en at "
                "8 kHz hears 'what am i on my credit card', which scored 0.82 only while held-out lines were "
                "in the training data; 0.69 without them, so the bot asks to confirm",
            ),
        ),
        ("I do not recognize this charge", "ReportFraud"),
        ("when is my card payment due", "CardPaymentInfo"),
    ],
)
async def test_phone_band_request_runs_its_dialog_without_a_confirmation_question(
    stt, trained_recognizer, said: str, intent: str
) -> None:
    text = await heard(stt, said)
    top, score = top_intent(await trained_recognizer.recognize_text(text, "en-US"))
    assert (top, score >= RoutingSettings().high_threshold) == (intent, True), f"heard {text!r}"
