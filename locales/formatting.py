"""Amounts, dates and references written the way a person says them, in the words of locales/languages.py."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from locales.languages import language_for


def _group(number: int) -> str:
    # Both of today's locales group thousands with a comma, which their voices read as a number.
    return f"{number:,}"


def say_amount(amount: Decimal, currency: str, locale: str) -> str:
    """``Decimal("1250.40"), "USD"`` -> "1,250 dollars and 40 cents" / "1,250 dólares con 40 centavos"."""
    spoken = language_for(locale).spoken
    value = abs(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    whole, cents = int(value), int((value - int(value)) * 100)
    one, many, cent_one, cent_many = spoken.currency_words.get(
        currency, (currency, currency, "cent", "cents")
    )
    text = f"{_group(whole)} {one if whole == 1 else many}"
    if cents:
        text += f" {spoken.cents_joiner} {cents} {cent_one if cents == 1 else cent_many}"
    return text


def say_date(day: date, locale: str) -> str:
    """``date(2026, 12, 15)`` -> "December 15th" / "15 de diciembre"."""
    spoken = language_for(locale).spoken
    return spoken.date.format(month=spoken.months[day.month - 1], day=day.day, nth=spoken.ordinal(day.day))


def say_weekday_since(day: date, today: date, locale: str) -> str:
    """How a person refers to a recent day: "Monday" / "el lunes", or the date when older than a week."""
    spoken = language_for(locale).spoken
    if (today - day).days > 7:
        return spoken.past_date.format(date=say_date(day, locale))
    return spoken.weekdays[day.weekday()]


def spell_out(reference: str) -> str:
    """A reference number spoken character by character: "BLK123" -> "B L K 1 2 3"."""
    return " ".join(reference)
