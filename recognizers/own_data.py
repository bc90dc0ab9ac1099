"""Is an utterance clearly an action on the caller's own data ("check my", "block my", "what did I spend")?

MainDialog asks this before it lets a strong knowledge-base match win over a business dialog. Hand-written
patterns on purpose: the recognizer's intent says *which* action, not whether the caller asked about the
bank's rules or about their own account; a few explicit cues per language say that, and stay auditable.
"""

from __future__ import annotations

import re

from recognizers.text import fold

_DATA_EN = (
    r"(balance|transactions?|statement|purchases?|charges?|spending|spent|activity|"
    r"minimum payment|payment due|due date)"
)
_ACT_EN = (
    r"(check|show|tell me|read|give me|pull up|look up|block|freeze|lock|cancel|stop|deactivate|"
    r"disable|turn off|report)"
)
_ASK_FOR_EN = r"(can|could|may) (i|you) (please )?(get|have|hear|see|check|tell me|give me|read)"
_DATA_ES = (
    r"(saldo|movimientos?|compras?|cargos?|gastos?|estado de cuenta|pago minimo|fecha de pago|fecha limite)"
)
_ACT_ES = (
    r"(revisa|revisar|checa|checar|consulta|consultar|dime|dame|muestrame|bloquea|bloquear|bloqueen|"
    r"bloqueame|congela|congelar|cancela|cancelar|cancelen|apaga|apagar|desactiva|desactivar)"
)

OWN_DATA_CUES: tuple[re.Pattern[str], ...] = tuple(
    re.compile(pattern)
    for pattern in (
        # English
        rf"\bmy\b.*\b{_DATA_EN}\b",
        rf"\b{_DATA_EN}\b.*\bmy\b",
        rf"\b{_ACT_EN}\b.{{0,25}}\bmy\b",
        r"\bwhat did i\b",
        r"\bhow much (money |cash )?(do|did|have) i (have|got|owe|spend|spent|pay|paid|use|used)\b",
        r"\bhow much (money |cash )?(is|have i got|is there) (left )?(in|on) my\b",
        r"\b(did|have) i (spend|spent|pay|paid|buy|bought|use|used)\b",
        r"\bmy (\w+ )?card (was|is|has been|got) (stolen|lost|taken|missing)\b",
        rf"\b{_ASK_FOR_EN}\b.*\b{_DATA_EN}\b",
        r"\bmy (\w+ )?card (locked|blocked|frozen|cancell?ed|turned off|shut off)\b",
        r"\bhow much (money )?can i (spend|use)\b.*\bmy\b",
        r"\b(is there|do i have) enough (money )?(in|on) my\b",
        r"\b(can|could) (i|you|we) (please )?(block|freeze|lock|cancel|deactivate|disable|turn off|stop) "
        r"(the|this|that) (\w+ )?card\b",
        r"\bhow many (transactions|purchases|charges|payments) (did i|have i|were there|have there been)\b",
        r"\bi (lost|cant find|can't find) my\b",
        r"\bsomeone (stole|took|used|is using) my\b",
        # Spanish (accents folded)
        rf"\bmis?\b.*\b{_DATA_ES}\b",
        rf"\b{_DATA_ES}\b.*\bmis?\b",
        rf"\b{_ACT_ES}\b.{{0,25}}\bmis?\b",
        r"\bcuanto (dinero )?(tengo|debo|gaste|pague|llevo gastado)\b",
        r"\b(en )?que (compre|gaste|pague)\b",
        r"\b(me robaron|perdi|extravie|se me perdio|me la robaron)\b",
        r"\bmi (\w+ )?tarjeta (fue|esta|ha sido) (robada|perdida|extraviada)\b",
        r"\bcuanto (dinero )?puedo (gastar|usar)\b.*\bmis?\b",
        r"\bme alcanza\b",
        r"\b(puedo|puede|pueden|se puede|podria|podrian) (bloquear|congelar|cancelar|desactivar|apagar) "
        r"(la|esta|esa) (\w+ )?tarjeta\b",
        r"\bcuant[oa]s (movimientos|compras|cargos|retiros|transacciones|pagos) "
        r"(hice|hubo|he hecho|llevo|tuve|me hicieron|me han hecho)\b",
        r"\bhay (algun|algunos|nuevos?) (cargos?|movimientos?|compras?)\b(?! por\b)",
        r"\bcuant[oa]s dias (faltan|me quedan|quedan) para (pagar|el pago)\b",
    )
)


def is_own_data_action(text: str) -> bool:
    """True when the words ask the bot to act on, or read, the caller's own account or card."""
    folded = fold(text)
    return any(pattern.search(folded) for pattern in OWN_DATA_CUES)


# Words that ask about the bank's rules, prices and products rather than for an action: fees, rates,
# limits, requirements, "how do I", "can I", "what happens if". A confident customer-data intent yields to
# the documents only when its words carry one of these (and no own-data cue).
_RULES_EN = (
    r"(fees?|charge for|cost|costs|price|rates?|interest|apr|limits?|requirements?|documents?|"
    r"eligible|insured|hours|how long|how many|how do i|how can i|how does|can i|could i|do you|"
    r"is there|are there|what happens|what is a|what's a|difference between)"
)
_RULES_ES = (
    r"(comision(es)?|cobran|cobra|cuesta|cuestan|costo|precio|tasas?|interes(es)?|limites?|"
    r"requisitos?|documentos?|horario|cuanto tarda|cuantos|cuantas|como (puedo|hago|se|funciona|abro|"
    r"solicito|pido|activo|cambio|registro)|puedo|se puede|tienen|hay (un|una|algun)|que pasa si|que es)"
)

RULES_QUESTION_CUES: tuple[re.Pattern[str], ...] = (
    re.compile(rf"\b{_RULES_EN}\b"),
    re.compile(rf"\b{_RULES_ES}\b"),
)


# Question forms that ask how something works or why, not for it to be done: "why …", "how is … calculated",
# "if I block my card, …", "does … earn interest", "cómo desbloqueo …". They mark a rules question even
# without a fee/rate/limit word, and they still do beside an own-data cue ("does my balance earn interest",
# "cómo calculan mi pago mínimo"): the caller asks about the rule behind their data, not for the data. The
# bot's own actions in the first person ("cómo pago mi tarjeta", "cómo bloqueo …") are requests, not listed.
HOW_IT_WORKS_CUES: tuple[re.Pattern[str], ...] = tuple(
    re.compile(pattern)
    for pattern in (
        # English
        r"\bwhy\b",  # "why was I charged a maintenance fee", "why is my available balance different"
        # "how is my minimum payment worked out", "how is interest calculated", "how do you work out …"
        r"\bhow (is|are|was|were) (\w+ ){0,7}"
        r"(calculated|worked out|figured( out)?|computed|determined|set)\b",
        r"\bhow (do|does) (you|they|the bank) (calculate|work out|figure( out)?|compute|determine)\b",
        r"\bwhat happens (to|with|if|when)\b",  # "what happens to my balance if I close my savings"
        # A condition the caller asks about, "if I pay in full do I pay interest"; not "if I could/can …".
        r"\bif i (?!(could|can|may|might|want|wanted|need|would)\b)\w+",
        r"\bif my (\w+ ){1,3}(is|was|gets|got|goes|drops|falls|runs)\b",
        # "does my balance earn interest", "will I be charged", "does the fee apply"
        r"\b(does|do|will|would) (\w+ ){1,4}(earn|accrue|apply)\b",
        r"\b(will|would|do|does|am) i (\w+ )?(be|get) charged\b",
        # Spanish (accents folded)
        r"\bpor que\b",  # "por qué me rechazaron la tarjeta", "por qué mi saldo disponible es distinto"
        # "cómo calculan mi pago mínimo", "cómo se calcula el interés"
        r"\bcomo (se )?(calcula|calculan|determina|determinan|fija|fijan|aplica|aplican)\b",
        r"\bque pasa (con|si|cuando)\b",  # "qué pasa con mi dinero si cierro la cuenta"
        # A condition: "si bloqueo mi tarjeta se cancelan …", "si me roban la tarjeta …", "si mi saldo baja …"
        r"\bsi (no )?(yo )?(bloqueo|cancelo|cierro|pago|uso|reporto|encuentro|viajo|retiro|dejo|cambio)\b",
        r"\bsi me (roban|clonan|cobran|rechazan|bloquean|cancelan)\b",
        r"\bsi mis? (\w+ ){1,3}(baja|bajan|cae|caen|sube|vence|vencen|llega|pasa)\b",
        # "cómo desbloqueo …": a procedure asked in the first person (the Spanish "how do I"), for things the
        # bot does not do itself.
        r"\bcomo (yo )?(desbloqueo|reactivo|repongo|recupero|restablezco|actualizo|cierro|conecto|aviso|"
        r"evito|aumento|obtengo|entro|programo|detengo|recibo|aclaro|agrego|escojo|veo|saco)\b",
    )
)


def asks_how_it_works(text: str) -> bool:
    """True when the words ask how something works or why ("why …", "how is … calculated", "si bloqueo …")."""
    folded = fold(text)
    return any(pattern.search(folded) for pattern in HOW_IT_WORKS_CUES)


# "Fecha límite (de pago)" is a due date, not a limit: taken out before the rules cues are looked for.
_DUE_DATE_ES = re.compile(r"\bfecha (limite|de vencimiento)\b")


def asks_about_rules(text: str) -> bool:
    """True when the words ask about the bank's fees, rates, limits, requirements or how things work."""
    folded = _DUE_DATE_ES.sub(" ", fold(text))
    return any(pattern.search(folded) for pattern in RULES_QUESTION_CUES) or asks_how_it_works(text)
