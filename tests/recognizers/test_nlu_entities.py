"""Entity extraction: list synonyms to canonical keys (en/es, accents, case) and amounts/dates/numbers."""

from __future__ import annotations

import pytest
from nlu_testdata import PROJECT_FILE, REFERENCE

from recognizers.base import ENTITY_AMOUNT, ENTITY_DATETIME, ENTITY_NUMBER
from recognizers.clu_project import load_project
from recognizers.entities import BuiltinEntityExtractor, ListEntityMatcher
from recognizers.language import detect_language


@pytest.fixture(scope="module")
def lists() -> ListEntityMatcher:
    return ListEntityMatcher(load_project(PROJECT_FILE).list_entities)


@pytest.fixture(scope="module")
def builtins() -> BuiltinEntityExtractor:
    return BuiltinEntityExtractor()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my savings", {"account_type": ["savings"]}),
        ("um what's in my SAVINGS ACCOUNT", {"account_type": ["savings"]}),
        ("mi cuenta de ahorros", {"account_type": ["savings"]}),
        ("la de ahorros", {"account_type": ["savings"]}),
        ("cuanto hay en la cuenta de cheques", {"account_type": ["checking"]}),
        ("checking please", {"account_type": ["checking"]}),
        ("la de débito", {"card_type": ["debit"]}),
        ("la de debito", {"card_type": ["debit"]}),
        ("LA DE DÉBITO", {"card_type": ["debit"]}),
        ("block my debit card", {"card_type": ["debit"]}),
        ("quiero pagar mi tarjeta de crédito", {"account_type": ["credit_card"], "card_type": ["credit"]}),
        ("tarjeta de credito", {"account_type": ["credit_card"], "card_type": ["credit"]}),
        ("move it from savings to checking", {"account_type": ["savings", "checking"]}),
        ("what's the weather", {}),
    ],
)
def test_list_entities_normalise_to_canonical_keys(lists, text, expected):
    assert lists.extract(text) == expected


@pytest.mark.parametrize(
    ("text", "lang", "value", "unit"),
    [
        ("i want to pay 250 dollars", "en", "250.00", "Dollar"),
        ("pay fifty dollars on my card", "en", "50.00", "Dollar"),
        ("quiero abonar quinientos pesos", "es", "500.00", "Peso"),
        ("pagar 1200 pesos a la tarjeta", "es", "1200.00", "Peso"),
        ("cien dólares", "es", "100.00", "Dollar"),
        ("son cien dolares", "es", "100.00", "Dollar"),
    ],
)
def test_amounts_are_resolved_with_unit(builtins, text, lang, value, unit):
    found = builtins.extract(text, lang, REFERENCE)
    assert found[ENTITY_AMOUNT][0] == {"value": value, "unit": unit}


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("what did i spend yesterday", "en", {"type": "date", "value": "2026-11-23"}),
        ("que compras hice ayer", "es", {"type": "date", "value": "2026-11-23"}),
        ("pay it next friday", "en", {"type": "date", "value": "2026-12-04"}),
        ("el 30 de noviembre", "es", {"type": "date", "value": "2026-11-30"}),
        ("transactions since monday", "en", {"type": "daterange", "start": "2026-11-23"}),
        ("desde el lunes", "es", {"type": "daterange", "start": "2026-11-23"}),
        ("what did i spend last week", "en", {"start": "2026-11-16", "end": "2026-11-23"}),
        ("movimientos de la semana pasada", "es", {"start": "2026-11-16", "end": "2026-11-23"}),
        ("los cargos del mes pasado", "es", {"start": "2026-10-01", "end": "2026-11-01"}),
    ],
)
def test_dates_are_resolved_against_the_reference_time(builtins, text, lang, expected):
    moment = builtins.extract(text, lang, REFERENCE)[ENTITY_DATETIME][0]
    assert {k: moment.get(k) for k in expected} == expected


def test_card_digits_are_numbers_not_years(builtins):
    for text, lang in (("block the card ending in 1234", "en"), ("mi tarjeta termina en 1234", "es")):
        found = builtins.extract(text, lang, REFERENCE)
        assert found[ENTITY_NUMBER] == ["1234"]
        assert ENTITY_DATETIME not in found


@pytest.mark.parametrize(
    ("text", "hint", "expected"),
    [
        ("what's my balance", None, "en"),
        ("cual es mi saldo", None, "es"),
        ("cuanto tengo en mi cuenta de cheques", "en-US", "es"),
        ("i lost my debit card", "es-MX", "en"),
        ("no", "es-MX", "es"),
        ("ok", "en-US", "en"),
        ("", "es-MX", "es"),
        ("menu", None, "en"),
    ],
)
def test_language_is_english_or_spanish_with_the_hint_deciding_short_answers(text, hint, expected):
    assert detect_language(text, hint) == expected
