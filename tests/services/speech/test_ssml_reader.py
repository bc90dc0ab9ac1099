"""Reading the SSML the dialogs produce into text and pauses with language and voice."""

from __future__ import annotations

from services.speech.ssml import BreakSegment, TextSegment, parse_break_time, parse_ssml


def test_speak_voice_and_break_become_segments_in_reading_order() -> None:
    ssml = (
        '<speak version="1.0" xmlns="http://www.w3.org/2001/10/synthesis" xml:lang="es-MX">'
        '<voice name="es-MX-DaliaNeural">Hola. <break time="500ms"/> Su saldo es '
        '<say-as interpret-as="cardinal">120</say-as> pesos.</voice></speak>'
    )
    assert parse_ssml(ssml, "en-US") == [
        TextSegment("Hola.", "es-MX", "es-MX-DaliaNeural"),
        BreakSegment(500),
        TextSegment("Su saldo es 120 pesos.", "es-MX", "es-MX-DaliaNeural"),
    ]


def test_inner_language_switch_and_sub_alias() -> None:
    ssml = (
        '<speak xml:lang="en-US">Press one. <lang xml:lang="es-MX">Para español, oprima dos.</lang>'
        ' <sub alias="Contoso Bank">CB</sub></speak>'
    )
    segments = parse_ssml(ssml, "en-US")
    assert segments == [
        TextSegment("Press one.", "en-US"),
        TextSegment("Para español, oprima dos.", "es-MX"),
        TextSegment("Contoso Bank", "en-US"),
    ]


def test_plain_text_and_broken_markup() -> None:
    assert parse_ssml("  Hello   there ", "en-US") == [TextSegment("Hello there", "en-US")]
    assert parse_ssml("<speak>Unclosed <b>tag & more</speak>", "es-MX") == [
        TextSegment("Unclosed tag & more", "es-MX")
    ]
    assert parse_ssml("", "en-US") == []


def test_break_times() -> None:
    assert parse_break_time("750ms") == 750
    assert parse_break_time("1.5s") == 1500
    assert parse_break_time("bogus") == 0
    assert parse_ssml('<speak><break strength="strong"/></speak>', "en-US") == [BreakSegment(750)]
