"""The few fixed sentences the knowledge service returns itself (the dialog's catalogue may override them)."""

from __future__ import annotations

NOT_FOUND = {
    "en": "I'm sorry, I don't have that information. I can connect you with an agent who can help.",
    "es": "Lo siento, no tengo esa información. Puedo comunicarle con un agente que le puede ayudar.",
}
BLOCKED = {
    "en": "I'm sorry, I can't help with that. I can answer questions about Contoso Bank's services, "
    "or connect you with an agent.",
    "es": "Lo siento, no puedo ayudarle con eso. Puedo responder preguntas sobre los servicios de "
    "Contoso Bank o comunicarle con un agente.",
}


def phrase(table: dict[str, str], lang: str) -> str:
    return table.get(lang, table["en"])
