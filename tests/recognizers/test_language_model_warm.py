"""The caller-language model is loaded at start-up: the first caller's words are not held on the event
loop while it is read and unpacked (~1 s of CPU; 4 s with 13 callers talking on two cores, every call in
progress stalled with it)."""

from __future__ import annotations

import pytest
from py3langid.langid import LanguageIdentifier

from recognizers import language


async def test_the_first_recognition_after_warm_up_loads_no_language_model(
    trained_recognizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    loads: list[str] = []
    real = LanguageIdentifier.from_model_file

    def counted(*args, **kwargs):
        loads.append("load")
        return real(*args, **kwargs)

    monkeypatch.setattr(language, "_identifier", None)
    monkeypatch.setattr(LanguageIdentifier, "from_model_file", counted)
    await trained_recognizer.warm_up()
    at_start = len(loads)
    await trained_recognizer.recognize_text("I would like to know the balance of my savings account")
    assert at_start == 1 and len(loads) == 1
