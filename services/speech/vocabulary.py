"""Domain vocabulary for speech engines: utterances and list-entity synonyms from the CLU project file."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from locales import languages

log = logging.getLogger(__name__)

# Used when the CLU project file is missing or has no utterances for a language.
_BUILTIN: dict[str, tuple[str, ...]] = {
    "en": (
        "i lost my credit card",
        "i lost my debit card",
        "my card was stolen",
        "someone stole my wallet",
        "please block my card",
        "i want to block my card",
        "freeze my credit card",
        "cancel my card",
        "what is my balance",
        "what is my account balance",
        "check my balance",
        "how much money do i have in my checking account",
        "how much is in my savings account",
        "i want to transfer money",
        "transfer five hundred dollars to my savings account",
        "move money from checking to savings",
        "send money to another account",
        "i want to talk to an agent",
        "let me speak to a person",
        "connect me with a representative",
        "i need a human",
        "i want to report fraud",
        "there is a charge i do not recognize",
        "someone used my card without permission",
        "pay my credit card bill",
        "i want to make a payment",
        "what are your opening hours",
        "when does the branch open",
        "where is the nearest branch",
        "find an atm near me",
        "i forgot my pin",
        "reset my pin",
        "change my pin number",
        "what are my recent transactions",
        "show me my last transactions",
        "yes",
        "yes please",
        "no",
        "no thank you",
        "that is correct",
        "that is all",
        "goodbye",
        "help",
        "repeat that",
        "one two three four five six seven eight nine zero",
        "hundred thousand dollars cents",
    ),
    "es": (
        "perdí mi tarjeta de crédito",
        "perdí mi tarjeta de débito",
        "me robaron la tarjeta",
        "me robaron la cartera",
        "quiero bloquear mi tarjeta",
        "bloquea mi tarjeta por favor",
        "cancelar mi tarjeta",
        "cuál es mi saldo",
        "quiero saber mi saldo",
        "consultar el saldo de mi cuenta",
        "cuánto dinero tengo en mi cuenta de ahorros",
        "quiero transferir dinero",
        "transferir quinientos pesos a mi cuenta de ahorros",
        "enviar dinero a otra cuenta",
        "quiero hablar con un agente",
        "quiero hablar con una persona",
        "comuníqueme con un asesor",
        "quiero reportar un fraude",
        "hay un cargo que no reconozco",
        "alguien usó mi tarjeta sin permiso",
        "quiero pagar mi tarjeta de crédito",
        "cuál es el horario de la sucursal",
        "dónde está la sucursal más cercana",
        "buscar un cajero automático",
        "olvidé mi nip",
        "cambiar mi nip",
        "cuáles son mis últimos movimientos",
        "sí",
        "sí por favor",
        "no",
        "no gracias",
        "es correcto",
        "eso es todo",
        "adiós",
        "ayuda",
        "uno dos tres cuatro cinco seis siete ocho nueve cero",
        "cien mil pesos",
    ),
}

_BUILTIN_HINTS: tuple[str, ...] = (
    "Contoso", "credit card", "debit card", "checking", "savings", "PIN", "ATM", "branch",
    "tarjeta de crédito", "tarjeta de débito", "cuenta de ahorros", "cuenta de cheques", "NIP",
    "sucursal", "cajero",
)  # fmt: skip

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)


def normalize(text: str) -> str:
    """Lower-case words only (digits and punctuation dropped): the form LMs and WER use."""
    return " ".join(_WORD.findall(text.lower()))


@dataclass(frozen=True)
class DomainVocabulary:
    phrases: dict[str, tuple[str, ...]]
    """Normalised training phrases per language (``en``/``es``)."""
    hints: tuple[str, ...]
    """Phrase-list hints (list-entity synonyms, all languages) for engines that take them."""
    source: str
    hints_by_language: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def for_language(self, lang: str) -> tuple[str, ...]:
        return self.phrases.get(_lang(lang), ())


def _lang(tag: str | None) -> str:
    """A language tag (``en-us``, ``es``, ``es-MX``) -> the bot's code; another keeps its primary subtag."""
    found = languages.find(tag)
    return found.code if found else (tag or "").split("-")[0].lower()


def load_vocabulary(clu_project_file: Path | None) -> DomainVocabulary:
    """Utterances and synonyms from a CLU project (Language Studio export); built-in phrases otherwise."""
    phrases: dict[str, list[str]] = {code: [] for code in languages.codes()}
    hints: list[str] = []
    by_lang: dict[str, list[str]] = {code: [] for code in languages.codes()}
    source = "builtin"
    if clu_project_file is not None and clu_project_file.is_file():
        try:
            project = json.loads(clu_project_file.read_text(encoding="utf-8"))
            assets = project.get("assets", {})
            default_lang = _lang(project.get("metadata", {}).get("language"))
            for utt in assets.get("utterances", []):
                text = normalize(str(utt.get("text", "")))
                if text:
                    phrases.setdefault(_lang(utt.get("language") or default_lang), []).append(text)
            for entity in assets.get("entities", []):
                for sub in (entity.get("list") or {}).get("sublists", []):
                    for syn in sub.get("synonyms", []):
                        values = [str(v) for v in syn.get("values", [])]
                        hints.extend(values)
                        by_lang.setdefault(_lang(syn.get("language") or default_lang), []).extend(values)
            source = str(clu_project_file)
        except (OSError, ValueError, AttributeError, TypeError) as exc:
            log.warning("CLU project unreadable, using built-in speech vocabulary: %s", exc)
    for lang, builtin in _BUILTIN.items():
        # Always keep the built-ins: they carry yes/no/numbers that CLU utterances rarely hold.
        phrases.setdefault(lang, []).extend(builtin)
    unique_hints = tuple(dict.fromkeys(h.strip() for h in [*hints, *_BUILTIN_HINTS] if h.strip()))
    return DomainVocabulary(
        phrases={k: tuple(dict.fromkeys(v)) for k, v in phrases.items()},
        hints=unique_hints,
        source=source,
        hints_by_language={k: tuple(dict.fromkeys(v)) for k, v in by_lang.items()},
    )
