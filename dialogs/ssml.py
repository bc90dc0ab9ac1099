"""The one place SSML is built: text in, the telephony channel's <speak> document out."""

from __future__ import annotations

from xml.sax.saxutils import escape

MAX_BREAK_MS = 5000  # the telephony channel's limit for <break>


def to_ssml(text: str, locale: str, voice: str, pause_ms: int = 0) -> str:
    """Wrap plain text in <speak>/<voice>; a trailing <break> when ``pause_ms`` is set."""
    body = escape(text)
    if pause_ms:
        body += f"<break time='{min(pause_ms, MAX_BREAK_MS)}ms'/>"
    return (
        "<speak version='1.0' xmlns='http://www.w3.org/2001/10/synthesis' "
        f"xml:lang='{locale}'><voice name='{voice}'>{body}</voice></speak>"
    )
