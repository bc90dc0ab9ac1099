"""Personal-data redaction for log lines, telemetry properties and stored transcripts (en and es)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

import phonenumbers

CARD = "[CARD]"
ACCOUNT = "[ACCOUNT]"
SSN = "[SSN]"
NATIONAL_ID = "[NATIONAL_ID]"
PIN = "[PIN]"
PHONE = "[PHONE]"
EMAIL = "[EMAIL]"
NUMBER = "[NUMBER]"

# Spoken digits as a speech recogniser writes them ("oh" is how English speakers say 0 in numbers).
_DIGIT_WORDS = {
    "zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
    "six": "6", "seven": "7", "eight": "8", "nine": "9",
    "cero": "0", "uno": "1", "un": "1", "una": "1", "dos": "2", "tres": "3", "cuatro": "4",
    "cinco": "5", "seis": "6", "siete": "7", "ocho": "8", "nueve": "9",
}  # fmt: skip
_DIGIT_TOKEN = r"(?:\d|" + "|".join(sorted(_DIGIT_WORDS, key=len, reverse=True)) + r")"
_SPOKEN_RUN = re.compile(rf"(?<![\w-]){_DIGIT_TOKEN}(?:[\s,.-]+{_DIGIT_TOKEN})+(?![\w])", re.IGNORECASE)
_HAS_DIGIT_WORD = re.compile(
    r"\b(?:" + "|".join(w for w in _DIGIT_WORDS if w not in {"un", "una", "oh", "one"}) + r")\b",
    re.IGNORECASE,
)

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# CURP: 4 letters, birth date, sex, state, 3 consonants, homoclave, check digit.
_CURP = re.compile(r"\b[A-Z]{4}\d{6}[HMX][A-Z]{5}[A-Z0-9]\d\b", re.IGNORECASE)
# RFC: 3 (company) or 4 (person) letters, date, 3-character homoclave.
_RFC = re.compile(r"\b[A-ZÑ&]{3,4}\d{6}[A-Z0-9]{3}\b", re.IGNORECASE)
_DNI = re.compile(r"\b(\d{8})[\s-]?([A-Z])\b", re.IGNORECASE)
_NIE = re.compile(r"\b([XYZ])[\s-]?(\d{7})[\s-]?([A-Z])\b", re.IGNORECASE)
_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
_SSN = re.compile(r"(?<![\w-])\d{3}([- ])\d{2}\1\d{4}(?![\w-])")
_SSN_CONTEXT = re.compile(
    r"\b(?:ssn|social security(?: number)?|seguro social|nss)\b(?:\W+\w+){0,3}?\W+(\d{9})\b", re.IGNORECASE
)
# 13-19 digits, optionally grouped by single spaces or dashes.
_CARD_CANDIDATE = re.compile(r"(?<![\w.-])\d(?:[ -]?\d){12,18}(?![\w-])")
_E164 = re.compile(r"\+\d{8,15}\b")
_ACCOUNT_CONTEXT = re.compile(
    r"\b(?:account|acct|cuenta|clabe|iban|routing)\b(?:\s+(?:number|no\.?|n[úu]mero|#))?"
    r"(?:\s+(?:is|es|de|ending(?: in)?|que termina en|terminada en))?[\s:#]*"
    r"(\d(?:[ -]?\d){3,33})",
    re.IGNORECASE,
)
_PIN_CONTEXT = re.compile(
    r"\b(?:pin|nip|passcode|password|contraseña|clave|cvv|cvc|"
    r"c[óo]digo(?: de seguridad)?|(?:security |verification )?code)\b"
    r"(?:\s+(?:number|n[úu]mero))?(?:\s+(?:is|es|it's|was|era))?[\s:=,]*"
    rf"({_DIGIT_TOKEN}(?:[\s,.-]*{_DIGIT_TOKEN}){{2,11}})(?![\w])",
    re.IGNORECASE,
)
_LONG_DIGITS = re.compile(r"(?<![\w.:-])\d(?:[ -]?\d){7,}(?![\w-])")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ANY_DIGIT = re.compile(r"\d")
# Seven or more digits with only phone punctuation between them: worth asking libphonenumber.
_PHONE_LIKE = re.compile(r"(?<![\w-])\d(?:[\s().+/-]{0,3}\d){6,}(?![\w-])")


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check that every payment card number passes."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _digits_only(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _sub_card(match: re.Match[str]) -> str:
    digits = _digits_only(match.group(0))
    if 13 <= len(digits) <= 19 and luhn_valid(digits):
        return CARD
    return match.group(0)


def _sub_dni(match: re.Match[str]) -> str:
    number, letter = match.group(1), match.group(2).upper()
    return NATIONAL_ID if _DNI_LETTERS[int(number) % 23] == letter else match.group(0)


def _sub_nie(match: re.Match[str]) -> str:
    prefix, number, letter = match.group(1).upper(), match.group(2), match.group(3).upper()
    value = int("XYZ".index(prefix).__str__() + number)
    return NATIONAL_ID if _DNI_LETTERS[value % 23] == letter else match.group(0)


def _replace_group(label: str) -> Callable[[re.Match[str]], str]:
    def sub(match: re.Match[str]) -> str:
        whole, start = match.group(0), match.start(1) - match.start(0)
        return whole[:start] + label + whole[match.end(1) - match.start(0) :]

    return sub


def _sub_long_digits(match: re.Match[str]) -> str:
    return match.group(0) if _ISO_DATE.fullmatch(match.group(0)) else NUMBER


def _sub_spoken(match: re.Match[str]) -> str:
    tokens = re.split(r"[\s,.-]+", match.group(0))
    digits = "".join(tok if tok.isdigit() else _DIGIT_WORDS[tok.lower()] for tok in tokens)
    words = sum(1 for tok in tokens if not tok.isdigit())
    if words == 0 or len(digits) < 7:
        return match.group(0)
    if 13 <= len(digits) <= 19 and luhn_valid(digits):
        return CARD
    return NUMBER


def _phone_spans(window: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for region, leniency in (("US", phonenumbers.Leniency.POSSIBLE), ("MX", phonenumbers.Leniency.VALID)):
        for m in phonenumbers.PhoneNumberMatcher(window, region, leniency=leniency):
            if not any(s < m.end and m.start < e for s, e in spans):
                spans.append((m.start, m.end))
    return spans


def _redact_phones(text: str) -> str:
    # libphonenumber's matcher is slow on long text: give it only the digit runs that could be numbers.
    spans: list[tuple[int, int]] = []
    for candidate in _PHONE_LIKE.finditer(text):
        lo = max(0, candidate.start() - 2)
        hi = candidate.end() + 1
        spans.extend((lo + s, lo + e) for s, e in _phone_spans(text[lo:hi]))
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + PHONE + text[end:]
    return text


def redact(text: str) -> str:
    """Replace card numbers, account numbers, national ids, PINs, phone numbers and e-mails with labels."""
    if not text:
        return text
    has_digit = _ANY_DIGIT.search(text) is not None
    if "@" in text:
        text = _EMAIL.sub(EMAIL, text)
    if has_digit:
        text = _CURP.sub(NATIONAL_ID, text)
        text = _RFC.sub(NATIONAL_ID, text)
        text = _NIE.sub(_sub_nie, text)
        text = _DNI.sub(_sub_dni, text)
        text = _SSN.sub(SSN, text)
        text = _SSN_CONTEXT.sub(_replace_group(SSN), text)
        text = _CARD_CANDIDATE.sub(_sub_card, text)
        text = _ACCOUNT_CONTEXT.sub(_replace_group(ACCOUNT), text)
    if has_digit or _HAS_DIGIT_WORD.search(text):
        text = _PIN_CONTEXT.sub(_replace_group(PIN), text)
    if has_digit:
        text = _E164.sub(PHONE, text)
        if _PHONE_LIKE.search(text):
            text = _redact_phones(text)
        text = _LONG_DIGITS.sub(_sub_long_digits, text)
    if _HAS_DIGIT_WORD.search(text):
        text = _SPOKEN_RUN.sub(_sub_spoken, text)
    return text


def redact_value(value: Any) -> Any:
    """Redact every string inside a value (dicts, lists, tuples); other types pass through."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {k: redact_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_value(v) for v in value]
    if isinstance(value, tuple):
        return tuple(redact_value(v) for v in value)
    return value


STANDARD_RECORD_ATTRS = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys() | {"message", "asctime", "taskName"}
)


class RedactionFilter(logging.Filter):
    """Redacts a record's message, its args, its exception text and every `extra` field; never drops it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_redacted", False):
            return True
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = f"{record.msg} {record.args}"
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for key, value in list(record.__dict__.items()):
            if key not in STANDARD_RECORD_ATTRS:
                record.__dict__[key] = redact_value(value)
        record._redacted = True
        return True


def install_redaction_filter(logger: logging.Logger | None = None) -> RedactionFilter:
    """Attach one RedactionFilter to the root logger and to each of its handlers.

    A logger's own filters do not see records propagated from child loggers; handler filters do,
    so the filter goes on both. Idempotent.
    """
    root = logger or logging.getLogger()
    existing = next((f for f in root.filters if isinstance(f, RedactionFilter)), None)
    flt = existing or RedactionFilter()
    if existing is None:
        root.addFilter(flt)
    for handler in root.handlers:
        if not any(isinstance(f, RedactionFilter) for f in handler.filters):
            handler.addFilter(flt)
    return flt
