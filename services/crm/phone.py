"""Phone numbers in one canonical form (E.164) so caller lookup matches however the channel writes them."""

from __future__ import annotations

import re

import phonenumbers

_E164 = re.compile(r"^\+[1-9]\d{7,14}$")


def normalize_e164(raw: str | None, default_region: str = "US") -> str | None:
    """``"(425) 555-0100"`` -> ``"+14255550100"``; None when ``raw`` is not a plausible number."""
    if not raw:
        return None
    candidate = raw.strip()
    if candidate.lower().startswith(("tel:", "4:")):
        candidate = candidate.split(":", 1)[1]
    compact = re.sub(r"[\s().-]", "", candidate)
    try:
        parsed = phonenumbers.parse(candidate, default_region)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is not None and phonenumbers.is_possible_number(parsed):
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    # Numbers already in E.164 that the metadata calls impossible (e.g. Mexico's legacy mobile
    # prefix, +52 1 ...) are still what the carrier sends us: keep them as they are.
    return compact if _E164.match(compact) else None
