"""Card numbers, account numbers, national ids, PINs, phone numbers and e-mails are redacted (en and es)."""

from __future__ import annotations

import time

import pytest

from core.privacy.redaction import luhn_valid, redact, redact_value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my card is 4532 0151 1283 0366 thanks", "my card is [CARD] thanks"),
        ("card 4532-0151-1283-0366", "card [CARD]"),
        ("amex 3782 822463 10005", "amex [CARD]"),
        ("mi tarjeta es 5555555555554444", "mi tarjeta es [CARD]"),
        ("four five three two zero one five one one two eight three zero three six six", "[CARD]"),
        ("cuatro cinco tres dos cero uno cinco uno uno dos ocho tres cero tres seis seis", "[CARD]"),
        ("my pin is 1234", "my pin is [PIN]"),
        ("my PIN is four five six seven", "my PIN is [PIN]"),
        ("mi nip es 1234", "mi nip es [PIN]"),
        ("mi NIP es uno dos tres cuatro", "mi NIP es [PIN]"),
        ("the code is 4 8 2 1", "the code is [PIN]"),
        ("el código de seguridad es 552", "el código de seguridad es [PIN]"),
        ("my account number is 123456789012", "my account number is [ACCOUNT]"),
        ("mi cuenta es 0123 4567 8901", "mi cuenta es [ACCOUNT]"),
        ("CLABE 002010077777777771", "CLABE [ACCOUNT]"),
        ("ssn 123-45-6789", "ssn [SSN]"),
        ("my social security number is 123456789", "my social security number is [SSN]"),
        ("CURP GODE561231HDFRRN09", "CURP [NATIONAL_ID]"),
        ("RFC GODE561231GR8", "RFC [NATIONAL_ID]"),
        ("DNI 12345678Z", "DNI [NATIONAL_ID]"),
        ("NIE X1234567L", "NIE [NATIONAL_ID]"),
        ("call from +14255550100", "call from [PHONE]"),
        ("raw id 4:+14255550199", "raw id 4:[PHONE]"),
        ("call me at (425) 555-0199", "call me at [PHONE]"),
        ("llámame al 33 1234 5678 por favor", "llámame al [PHONE] por favor"),
        ("write to juan.perez@example.com", "write to [EMAIL]"),
        ("a long reference 9876543210123", "a long reference [NUMBER]"),
    ],
)
def test_personal_data_is_replaced_by_a_label(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "I want to check my balance",
        "quiero saber mi saldo, tengo dos tarjetas",
        "I have two cards and one account",
        "press one for English",
        "call_id=3f2a9c1e-1234-4d5e-9abc-123456789012 latency_ms=123.4 ts=2026-11-24T06:19:42Z",
        "api-version=2026-04-01 status=200",
        "your balance is 1,234.56 dollars",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert redact(text) == text


def test_a_sixteen_digit_number_that_fails_luhn_is_not_called_a_card_but_is_still_hidden() -> None:
    assert not luhn_valid("1234567890123456")
    assert redact("ref 1234 5678 9012 3456") == "ref [NUMBER]"


def test_nested_values_are_redacted() -> None:
    value = {"turns": [{"text": "my pin is 9876"}, ("+14255550100", 3)], "n": 4}
    assert redact_value(value) == {"turns": [{"text": "my pin is [PIN]"}, ("[PHONE]", 3)], "n": 4}


def test_redaction_is_fast_enough_for_every_log_line() -> None:
    lines = [
        'turn done intent=CheckBalance score=0.91 text="I want to check my balance please"',
        "caller +14255550100 said my card is 4532 0151 1283 0366 and mi nip es 1234",
    ]
    runs = 2000
    start = time.perf_counter()
    for _ in range(runs):
        for line in lines:
            redact(line)
    per_line_us = (time.perf_counter() - start) / (runs * len(lines)) * 1e6
    assert per_line_us < 1000, f"{per_line_us:.0f} µs per line"
