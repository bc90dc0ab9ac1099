"""Prompt-injection sanitizer (en + es): strips control characters, caps length, flags injection attempts."""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass

logger = logging.getLogger(__name__)

DEFAULT_MAX_CHARS = 500

# Zero-width and bidi controls are category Cf; they can hide text from a human reviewer.
_KEEP_WHITESPACE = {"\n": " ", "\t": " ", "\r": " "}
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"})

_OBJ_EN = r"(?:instructions?|rules|prompts?|directions|guidelines|programming|guardrails|constraints|orders)"
_OBJ_ES = r"(?:instrucciones|reglas|indicaciones|ordenes|directrices|programacion|restricciones|prompt)"
_SECRET_EN = (
    r"(?:system|initial|hidden|original|secret|internal|developer|pre-?prompt)"
    r"\s+(?:prompt|instructions?|message|rules)"
)
_SECRET_ES = (
    r"(?:(?:prompt|instrucciones|mensaje|reglas)\s+(?:del\s+sistema|inicial(?:es)?|ocult[ao]s?|original(?:es)?"
    r"|secret[ao]s?|internas?)|prompt)"
)

PATTERNS: dict[str, re.Pattern[str]] = {
    "override": re.compile(
        rf"\b(?:ignore|disregard|forget|override|skip|drop|bypass|abandon)\b[^.?!]{{0,40}}?\b{_OBJ_EN}\b"
        rf"|\b(?:ignora\w*|olvida\w*|omit\w*|descart\w*|salta\w*|desobedec\w*|anula\w*|deja\s+de\s+seguir)\b"
        rf"[^.?!]{{0,40}}?\b{_OBJ_ES}\b"
        r"|\bhaz\s+caso\s+omiso\b"
    ),
    "reveal": re.compile(
        rf"\b(?:reveal|show|print|repeat|tell|give|output|display|leak|dump|what\s+(?:is|are|was|were)|read)\b"
        rf"[^.?!]{{0,30}}?\b{_SECRET_EN}\b"
        rf"|\b(?:revela\w*|muestra\w*|mostrar|dime|decir|repite|repetir|imprime|escribe|dame|cual\s+es|cuales\s+son"
        rf"|lee\w*)\b[^.?!]{{0,30}}?\b{_SECRET_ES}\b"
        r"|\b(?:your|tu|tus|sus)\s+(?:system\s+prompt|prompt|instrucciones\s+(?:del\s+sistema|internas|secretas))\b"
    ),
    "roleplay": re.compile(
        r"\b(?:you\s+are\s+now|from\s+now\s+on\s+you|pretend\s+(?:to\s+be|you\s+are|that\s+you)|role-?\s?play"
        r"|act\s+as\s+(?:an?\s+)?(?:unrestricted|unfiltered|evil|different|new|jailbroken|dan|ai|chatbot|bot"
        r"|assistant|system|admin\w*|developer|hacker|my\s+grandma)|do\s+anything\s+now|\bdan\s+mode"
        r"|developer\s+mode|jailbreak|without\s+(?:any\s+)?(?:restrictions|rules|filters|limits)"
        r"|no\s+(?:restrictions|rules|filters)\s+(?:apply|anymore))\b"
        r"|\b(?:ahora\s+eres|a\s+partir\s+de\s+ahora\s+(?:eres|seras|vas|actua|responde)|desde\s+ahora\s+(?:eres|seras)"
        r"|finge\s+(?:ser|que\s+eres)|haz\s+de\s+cuenta\s+que\s+eres|juega\s+a\s+ser|juego\s+de\s+rol"
        r"|actua\s+como\s+(?:un[ao]?\s+)?(?:ia|inteligencia|asistente|bot|chatbot|sistema|administrador|desarrollador"
        r"|hacker|otr[ao]|dan)|modo\s+(?:desarrollador|dios|sin\s+restricciones)"
        r"|sin\s+(?:ninguna\s+)?(?:restricciones|reglas|filtros|limites))\b"
    ),
    "markup": re.compile(
        r"<\|?(?:im_start|im_end|system|endoftext)\|?>|\[/?inst\]|<<\s*sys\s*>>|(?:^|\s)(?:system|assistant|sistema)\s*:"
        r"|\bnew\s+instructions?\s*:|\bnuevas?\s+instrucci\w*\s*:"
    ),
    "exfiltrate": re.compile(
        r"\b(?:bypass|disable|turn\s+off|deactivate)\b[^.?!]{0,20}?\b(?:safety|filters?|guardrails|moderation|security\s+checks)\b"
        r"|\b(?:desactiva\w*|desactivar|evita\w*|salta\w*)\b[^.?!]{0,20}?\b(?:filtros?|seguridad|controles|moderacion)\b"
    ),
}


@dataclass(frozen=True)
class SanitizedText:
    text: str
    """Control characters removed, whitespace collapsed, capped at the length limit."""
    blocked: bool
    reasons: tuple[str, ...]
    truncated: bool = False


def clean(text: str, max_chars: int = DEFAULT_MAX_CHARS) -> tuple[str, bool]:
    """NFKC, drop control/format characters (zero-width, bidi), collapse whitespace, cap length."""
    normalized = unicodedata.normalize("NFKC", text)
    kept = []
    for ch in normalized:
        if ch in _KEEP_WHITESPACE:
            kept.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs"):
            continue
        else:
            kept.append(ch)
    collapsed = re.sub(r"\s+", " ", "".join(kept)).strip()
    if len(collapsed) > max_chars:
        return collapsed[:max_chars].rsplit(" ", 1)[0], True
    return collapsed, False


def fold_accents(text: str) -> str:
    """Lower-cased, accents and other combining marks dropped ("IGNÓRA" -> "ignora"): what screens match."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def detect(text: str) -> tuple[str, ...]:
    """Names of the injection patterns found in the accent-folded text, a de-leeted copy ("1gn0re") and a
    copy with spaced-out letters joined back ("i g n o r e")."""
    plain = fold_accents(text)
    forms = {plain, plain.translate(_LEET)}
    forms |= {re.sub(r"\b(\w)[ .\-_*]+(?=\w\b)", r"\1", f) for f in list(forms)}
    return tuple(name for name, pattern in PATTERNS.items() if any(pattern.search(f) for f in forms))


def sanitize(text: str, max_chars: int = DEFAULT_MAX_CHARS, channel: str = "question") -> SanitizedText:
    """Clean ``text`` and flag a prompt injection; flagged attempts are logged without their text.

    Detection runs on the full cleaned text (before the cap) so nothing can be hidden past the limit.
    """
    cleaned, _ = clean(text, max_chars=len(text) + 1)
    reasons = detect(cleaned)
    capped, truncated = clean(cleaned, max_chars)
    if reasons:
        # Only the pattern names and sizes: the caller's words may carry personal data.
        logger.warning(
            "prompt_injection_blocked",
            extra={
                "event": "prompt_injection_blocked",
                "reasons": list(reasons),
                "chars": len(text),
                "channel": channel,
            },
        )
    return SanitizedText(capped, bool(reasons), reasons, truncated)
