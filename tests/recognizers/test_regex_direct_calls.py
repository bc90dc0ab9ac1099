"""The shortcut entity extraction takes through ``regex`` (recognizers/entities.py) answers every call
as regex itself does: compiled patterns, pattern strings, flags and options alike."""

from __future__ import annotations

import pytest
import regex

from recognizers.entities import shared_builtin_extractor

shared_builtin_extractor()  # installs the shortcut
AMOUNT = regex.compile(r"(\d+) (dollars|pesos)")
TEXT = "pay 20 dollars now and 300 pesos tomorrow"


def test_compiled_patterns_give_what_their_own_methods_give() -> None:
    assert regex.search(AMOUNT, TEXT).group(0) == AMOUNT.search(TEXT).group(0) == "20 dollars"
    assert regex.match(AMOUNT, TEXT) is None
    assert [m.group(1) for m in regex.finditer(AMOUNT, TEXT)] == ["20", "300"]
    assert regex.sub(AMOUNT, r"\2", TEXT) == "pay dollars now and pesos tomorrow"


def test_strings_flags_and_options_still_reach_regex() -> None:
    assert regex.search(r"PAY", TEXT, regex.IGNORECASE).group(0) == "pay"
    assert regex.search(AMOUNT, TEXT, pos=10).group(1) == "300"
    overlapping = [m.group(0) for m in regex.finditer(r"\d+", TEXT, overlapped=True)]
    assert overlapping == ["20", "0", "300", "00", "0"]
    with pytest.raises(ValueError):  # as regex refuses flags with a compiled pattern
        regex.search(AMOUNT, TEXT, regex.IGNORECASE)
