"""Amounts, dates and references written the way a person says them, per language."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from locales.catalogue import language_of

_MONTHS = {
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    "es": (
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ),
}
_CURRENCY_WORDS = {
    "en": {"USD": ("dollar", "dollars", "cent", "cents"), "MXN": ("peso", "pesos", "cent", "cents")},
    "es": {
        "USD": ("dólar", "dólares", "centavo", "centavos"),
        "MXN": ("peso", "pesos", "centavo", "centavos"),
    },
}


def _ordinal_en(day: int) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _group(number: int) -> str:
    # Both en-US and es-MX group thousands with a comma, which their voices read as a number.
    return f"{number:,}"


def say_amount(amount: Decimal, currency: str, locale: str) -> str:
    """``Decimal("1250.40"), "USD"`` -> "1,250 dollars and 40 cents" / "1,250 dólares con 40 centavos"."""
    language = language_of(locale)
    value = abs(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    whole, cents = int(value), int((value - int(value)) * 100)
    one, many, cent_one, cent_many = _CURRENCY_WORDS[language].get(
        currency, (currency, currency, "cent", "cents")
    )
    text = f"{_group(whole)} {one if whole == 1 else many}"
    if cents:
        joiner = "and" if language == "en" else "con"
        text += f" {joiner} {cents} {cent_one if cents == 1 else cent_many}"
    return text


def say_date(day: date, locale: str) -> str:
    """``date(2026, 12, 15)`` -> "December 15th" / "15 de diciembre"."""
    language = language_of(locale)
    month = _MONTHS[language][day.month - 1]
    if language == "es":
        return f"{day.day} de {month}"
    return f"{month} {_ordinal_en(day.day)}"


def say_weekday_since(day: date, today: date, locale: str) -> str:
    """How a person refers to a recent day: "Monday" / "el lunes", or the date when older than a week."""
    language = language_of(locale)
    if (today - day).days > 7:
        return say_date(day, locale) if language == "en" else f"el {say_date(day, locale)}"
    names = {
        "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        "es": ("el lunes", "el martes", "el miércoles", "el jueves", "el viernes", "el sábado", "el domingo"),
    }
    return names[language][day.weekday()]


def spell_out(reference: str) -> str:
    """A reference number spoken character by character: "BLK123" -> "B L K 1 2 3"."""
    return " ".join(reference)
