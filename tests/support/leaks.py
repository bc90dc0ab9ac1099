"""Look for a leaked value in logs, telemetry or records without tripping on digests, ids and clocks."""

import logging
import re

from core.privacy.redaction import STANDARD_RECORD_ATTRS

# A hex run of 12+ characters holding a letter is a digest or a generated id (entry_hash,
# call-3d78f415d56f): "1234" turns up inside one by chance about once in a few hundred calls.
# Runs of digits only (card, account and phone numbers) are kept, so those leaks still show.
_DIGEST_OR_ID = re.compile(r"(?<![0-9a-f])(?=[0-9a-f]*[a-f])[0-9a-f]{12,}(?![0-9a-f])")
# An ISO-8601 time: its microseconds ("20:39:06.374321Z") hold any four digits now and then.
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?")


def reveals(text: str, value: str) -> bool:
    """True when `value` appears in `text` outside timestamps, hex digests and generated ids."""
    return value in _DIGEST_OR_ID.sub("#", _TIMESTAMP.sub("#", text))


def logged_fields(record: logging.LogRecord) -> str:
    """What a log line carries of ``record``: its message and the fields the code added, not the logging
    module's own clock, thread and process numbers (the same split core/observability's JSON lines make)."""
    added = {key: value for key, value in record.__dict__.items() if key not in STANDARD_RECORD_ATTRS}
    return f"{record.getMessage()} {added}"
