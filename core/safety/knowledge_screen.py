"""Poisoned-knowledge screen (en + es): instruction-like text, credential requests and payment redirection."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.safety.sanitizer import detect, fold_accents

if TYPE_CHECKING:
    from services.knowledge.base import GenerationRequest, Generator

logger = logging.getLogger(__name__)

_CREDENTIAL_EN = (
    r"(?:(?:full|whole|complete|entire)\s+)?(?:(?:credit|debit|bank)\s+)?"
    r"(?:card\s+numbers?|pins?|pin\s+codes?|passwords?|passcodes?|cvvs?|cvcs?|security\s+codes?"
    r"|one-?time\s+(?:codes?|passwords?)|social\s+security\s+numbers?|ssns?|account\s+numbers?)"
)
_CREDENTIAL_ES = (
    r"(?:numeros?\s+(?:completos?\s+)?de\s+(?:la\s+|su\s+|tu\s+)?tarjeta|nips?|pins?|contrasenas?|claves?"
    r"|cvvs?|codigos?\s+de\s+seguridad|numeros?\s+de\s+cuenta)"
)
_NEGATION = re.compile(r"\b(?:never|not|no|don't|do\s+not|won't|will\s+not|nunca|jamas|ni)\b[^.?!]{0,40}$")

PATTERNS: dict[str, re.Pattern[str]] = {
    # Text addressed to the model rather than to a reader of the document.
    "instruction": re.compile(
        r"\b(?:important\s+)?system\s+(?:instruction|prompt|override|message)s?\b"
        r"|\b(?:instrucci\w+|mensaje)\s+(?:importante\s+)?del\s+sistema\b"
        r"|\b(?:assistant|ai|bot|model|chatbot)s?\s+(?:must|should|shall)\b"
        r"|\b(?:el\s+)?(?:asistente|bot|modelo)\s+(?:debe|deberá|debera)\b"
        r"|\bwhen\s+(?:a|the)\s+(?:caller|customer|user)\s+asks\b[^.?!]{0,80}\b(?:say|tell|read|respond|answer)\b"
    ),
    # Asking the caller to say, read out or hand over a secret.
    "credentials": re.compile(
        rf"\b(?:read(?:\s+(?:out|back))?|recite|say|tell|give|provide|confirm|verify|repeat|spell|share|enter"
        rf"|ask\s+(?:\w+\s+){{0,3}}(?:for|to\s+(?:say|read|give|provide|confirm|share)))\b"
        rf"[^.?!]{{0,40}}?\b{_CREDENTIAL_EN}\b"
        rf"|\b(?:pid\w*|solicit\w*|lea|lee|leer|dict\w*|diga|dile|digale|dame|deme|proporcion\w*|confirm\w*"
        rf"|comparta|comparte|repit\w*)\b[^.?!]{{0,40}}?\b{_CREDENTIAL_ES}\b"
    ),
    # Money sent somewhere the bank would never send it.
    "payment_redirect": re.compile(
        r"\bgift\s*cards?\b|\bitunes\s+cards?\b|\bbitcoin\b|\bcrypto(?:currency)?\s+(?:wallet|atm)\b"
        r"|\bsafe\s+account\b|\b(?:send|wire|transfer|move|deposit|pay)\s+(?:the\s+|your\s+|all\s+|their\s+)?"
        r"(?:money|funds|balance|savings|payment)\s+(?:to|into)\s+(?:this|the\s+following|our|a\s+new|a\s+safe"
        r"|account|number|wallet)\b"
        r"|\btarjetas?\s+de\s+regalo\b|\bcuenta\s+segura\b|\bmonedero\s+(?:de\s+)?cripto\w*\b"
        r"|\b(?:envi\w*|transfier\w*|transferir|deposit\w*|mand\w*)\s+(?:el\s+|su\s+|tu\s+|todo\s+el\s+)?"
        r"(?:dinero|saldo|fondos|ahorros|pago)\s+a\s+(?:esta|la\s+siguiente|una\s+(?:nueva\s+)?cuenta|la\s+cuenta)\b"
    ),
}


@dataclass(frozen=True)
class ScreenResult:
    reasons: tuple[str, ...]

    @property
    def flagged(self) -> bool:
        return bool(self.reasons)


def _fold(text: str) -> str:
    return re.sub(r"\s+", " ", fold_accents(text))


def _credential_request(folded: str) -> bool:
    """A request for a secret, unless it is the bank's own warning ("we will never ask for your PIN")."""
    for match in PATTERNS["credentials"].finditer(folded):
        if not _NEGATION.search(folded[max(0, match.start() - 60) : match.start() + 1]):
            return True
    return False


def screen(text: str) -> ScreenResult:
    """Why ``text`` must not be read to a caller (empty when it is fine): the sanitizer's injection patterns
    plus instruction-like text, credential requests and payment redirection."""
    folded = _fold(text)
    reasons: list[str] = []
    if detect(text) or PATTERNS["instruction"].search(folded):
        reasons.append("instruction")
    if _credential_request(folded):
        reasons.append("credentials")
    if PATTERNS["payment_redirect"].search(folded):
        reasons.append("payment_redirect")
    return ScreenResult(tuple(reasons))


def screen_answer(text: str, *, backend: str) -> bool:
    """True when a composed answer may be spoken; a flagged one is logged (reasons and size, not words)."""
    result = screen(text)
    if result.flagged:
        logger.warning(
            "knowledge_answer_withheld",
            extra={
                "event": "knowledge_answer_withheld",
                "reasons": list(result.reasons),
                "chars": len(text),
                "backend": backend,
            },
        )
    return not result.flagged


class ScreenedGenerator:
    """Wraps any `Generator` (extractive or Azure OpenAI): a composed answer that fails the screen becomes ""
    (the knowledge service then declines and offers an agent) instead of being spoken."""

    def __init__(self, inner: Generator, backend: str) -> None:
        self.inner = inner
        self.backend = backend

    async def generate(self, request: GenerationRequest) -> str:
        text = await self.inner.generate(request)
        return text if screen_answer(text, backend=self.backend) else ""
