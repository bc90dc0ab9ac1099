"""A caller's pseudonym names the same number the same way, and only under the deployment's key."""

from __future__ import annotations

from core.privacy.pseudonym import CallerPseudonyms


def test_the_same_number_gets_the_same_name_and_the_number_is_not_in_it():
    pseudonyms = CallerPseudonyms(b"key-one")
    name = pseudonyms.of("+14255550123")
    assert name == pseudonyms.of(" +14255550123 ") and name.startswith("caller-")
    assert "4255550123" not in name
    assert pseudonyms.of("+14255550124") != name


def test_another_key_gives_other_names_and_no_number_gives_no_name():
    assert CallerPseudonyms(b"key-one").of("+14255550123") != CallerPseudonyms(b"key-two").of("+14255550123")
    assert CallerPseudonyms(b"key-one").of("") == ""
