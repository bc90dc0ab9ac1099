"""Caller-number normalisation to E.164 (what the CRM stores), from any form a channel sends."""

from __future__ import annotations

import re

import phonenumbers

_URI_PREFIX = re.compile(r"^(?:tel:|sips?:|\d+:)", re.IGNORECASE)


def normalize_e164(raw: str | None, default_region: str = "US") -> str | None:
    """``+14255550100`` for ``(425) 555-0100``, ``tel:+1 425…``, ``sip:+1425…@host;user=phone`` or the
    ACS raw id ``4:+1425…``; ``None`` when it is not a phone number (anonymous or withheld callers).

    Numbers without a ``+`` are read in ``default_region``. Mexican numbers in the pre-2019 mobile
    form ``+52 1 …`` are kept as given, because CRMs (ours included) still hold them that way.
    """
    if not raw:
        return None
    text = _URI_PREFIX.sub("", raw.strip())
    text = text.split("@", 1)[0].split(";", 1)[0].strip()
    if not text or not any(ch.isdigit() for ch in text):
        return None
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException:
        return None
    national = str(number.national_number)
    legacy_mexican_mobile = number.country_code == 52 and len(national) == 11 and national.startswith("1")
    if not (phonenumbers.is_possible_number(number) or legacy_mexican_mobile):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
