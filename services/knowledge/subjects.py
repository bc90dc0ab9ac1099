"""The things a banking question can name (products, kinds of card and account, ways of sending money,
channels, places, what happened to a card, actions), en + es, and whether an answer states its fact for
them.

One table, written from what callers ask a bank, not from any test set. A question's *things* are its
qualifiers: "the annual fee for a business credit card" names BUSINESS and CREDIT_CARD. The rule
(`unmatched`): each thing the question names must be named beside the fact the answer states (in a
sentence holding the asked kind of fact, or the passage's title or heading), unless the thing is a loose
qualifier ("my debit card", "from my phone") and the passage is general about it: it names no sibling of
the thing ("the Classic card" is a sibling of "a debit card") and does not name the thing elsewhere (a
fee stated beside "ATM" does not price the "Premier" account named two sentences later). A *specific*
thing (a product, a plan, an action such as cancelling) must always be named beside the fact: a passage
that never mentions loans does not answer "the late fee on a personal loan", however close its topic.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from services.knowledge.text import fold

T = TypeVar("T")


@dataclass(frozen=True)
class Thing:
    name: str
    pattern: re.Pattern[str]
    family: str = ""
    """Things of one family stand for each other: a passage naming one is about that one, not the others."""
    specific: bool = True
    """Must be named beside the fact; a loose one (False) is also met by a passage general about it."""
    parent: str = ""
    """A kind of a broader thing (the Classic card is a credit card): naming it names the parent too."""


def _thing(name: str, words: str, family: str = "", specific: bool = True, parent: str = "") -> Thing:
    return Thing(name, re.compile(rf"\b({words})\b"), family, specific, parent)


_DET = r"(a|an|the|my|this|that|un|una|el|la|mi|mis|su|esta|este|esa|ese) "
_CANCEL = r"cancel\w*|anular|anul\w*|revert\w*|reverse|undo|deshacer|stop"
_MOVES = (
    r"(transfers?|wires?|payments?|transactions?|orders?|checks?|transferencias?|pagos?|giros?"
    r"|transacci\w+|ordenes?|cheques?)"
)
_LEVELS = r"(limits?|lines?|rates?|limites?|lineas?|tasas?|topes?|credito)"

# Patterns match folded text (lower case, no accents).
THINGS: tuple[Thing, ...] = (
    # Products and services a caller may ask about, whether or not the documents describe them.
    _thing("loan", r"loans?|prestamos?|financing|financiamiento"
           r"|creditos? (personal|personales|automotriz|hipotecari\w*|de nomina"
           r"|para (el |un )?(auto|carro|coche))"),
    _thing("mortgage", r"mortgages?|home loans?|hipotecas?|hipotecari\w*"),
    _thing("line_of_credit", r"lines? of credit|heloc|linea de credito"),
    _thing("safe_deposit_box", r"safe ?deposit|safety deposit|cajas? de seguridad|cajas? fuertes?"),
    _thing("checkbook", r"check ?books?|chequeras?|order(ing)? (new )?checks"),
    _thing("money_order", r"money orders?|giros? postal(es)?|orden(es)? de pago"),
    _thing("travelers_check", r"traveler'?s checks?|cheques? de viajero"),
    _thing("insurance", r"insurance|insured|aseguradora"
           r"|seguros? de (vida|auto|gastos|viaje|desempleo|hogar)"),
    _thing("crypto", r"bitcoins?|crypto\w*|cripto\w*"),
    _thing("investment", r"invest\w*|stocks?|brokerage|mutual funds?|invers\w*|fondos? de inversion"),
    _thing("retirement", r"ira|iras|retirement|401k|jubilacion|pension(es)?|afore"),
    _thing("cd", r"cds?|certificates? of deposit|certificados? de deposito|term deposits?|plazo fijo"),
    # Kinds of account: checking and savings are loose (most passages speak of "your account").
    _thing("checking", r"checking|cuentas? de cheques", "account", specific=False),
    _thing("savings", r"savings|ahorros?|cuentas? de ahorro", "account", specific=False),
    _thing("money_market", r"money market|mercado de dinero", "account"),
    _thing("premier", r"premier", "account", parent="checking"),
    _thing("everyday", r"everyday", "account", parent="checking"),
    _thing("high_yield", r"high yield|alto rendimiento", "account", parent="savings"),
    _thing("business", r"business(?! days?)|businesses|empresa\w*|negocios?|corporat\w*|comercial(es)?",
           "segment"),
    _thing("student", r"students?|estudiant\w*|universitari\w*", "segment"),
    _thing("joint", r"joint|mancomunad\w*", "segment"),
    _thing("minor", r"kids?|child|children|minors?|teens?|teenagers?|my son|sons|daughters?"
           r"|hij[oa]s?|nin[oa]s?|menores de edad|menor de edad", "segment"),
    # Kinds of card.
    _thing("debit_card", r"debit|debito", "card", specific=False),
    _thing("credit_card", r"credit cards?|tarjetas? de credito", "card", specific=False),
    _thing("classic", r"classic", "card", parent="credit_card"),
    _thing("platinum", r"platinum|platino", "card", parent="credit_card"),
    _thing("gold", r"gold|oro", "card"),
    _thing("prepaid", r"prepaid|prepago|prepagadas?", "card"),
    _thing("secured_card", r"secured card|tarjeta asegurada|tarjeta garantizada", "card"),
    _thing("gift_card", r"gift cards?|tarjetas? de regalo", "card"),
    # What a card rate or fee applies to.
    _thing("purchases", r"purchases?|compras?", "card_use", specific=False),
    _thing("cash_advance", r"cash advances?|disposicion(es)? de efectivo", "card_use"),
    _thing("balance_transfer", r"balance transfers?|transferencias? de saldos?", "card_use"),
    # Ways of sending money.
    _thing("wire", r"wires?|wired", "transfer"),
    _thing("ach", r"ach|standard transfers?|transferencias? estandar", "transfer"),
    _thing("contoso_pay", r"contoso pay", "transfer"),
    _thing("zelle", r"zelle|paypal|venmo|western union", "transfer"),
    _thing("swift", r"swift|bic", ""),
    # Where: loose, a passage that names no place is about both.
    _thing("abroad", r"abroad|overseas|foreign|international\w*|outside the (us|united states|country)"
           r"|extranjer\w*|internacional\w*|otros? pais(es)?|fuera del pais|mexico|canada|europe|europa",
           "place", specific=False),
    _thing("domestic", r"domestic|national|nacional(es)?|within the (us|united states|country)", "place",
           specific=False),
    # Channels: loose, a passage that names no channel is about all of them.
    # Channels: loose, a passage that names no channel is about all of them. The app, online banking and the
    # phone are one way in ("my password for the app" is the online banking password).
    _thing("remote", r"app|apps|mobile|phone(?! numbers?)|cell\w*|smartphone|online|internet|website|web"
           r"|aplicacion|movil|celular|(?<!numero de )telefono|en linea|banca electronica|sitio", "channel",
           specific=False),
    _thing("branch", r"branch(es)?|in person|sucursal(es)?|en persona", "channel", specific=False),
    _thing("atm", r"atms?|cash machines?|cajeros?( automaticos?)?", "channel"),
    # What happened to the card: a passage about a found card does not answer "I lost my card".
    _thing("lost", r"lost|lose|losing|missing|perdi\w*|perder|extravi\w*", "card_event", specific=False),
    _thing("stolen", r"stolen|stole|steal|robad[oa]s?|robaron|robo|rob[oe]", "card_event", specific=False),
    _thing("found", r"found|find|finding|encontr\w*|encuentr\w*|apareci\w*", "card_event", specific=False),
    # Actions a yes/no question asks about ("can I cancel…"): an answer must say whether one can.
    # Cancelling a card is reporting it ("cancelar mi tarjeta"): only a payment or a transfer is cancelled.
    _thing("cancel", rf"({_CANCEL}) ({_DET})?(\w+ ){{0,2}}{_MOVES}|{_MOVES} (\w+ ){{0,4}}({_CANCEL})"),
    _thing("unblock", r"unblock\w*|unlock\w*|reactivat\w*|desbloque\w*|reactiv\w*"),
    # "Subir" is also to upload a photo: it raises only a limit, a line or a rate.
    _thing("raise", rf"increase\w*|raise|raising|higher|aument\w*|incrementar|ampliar|(subir|suba)\w* "
           rf"({_DET})?(\w+ )?{_LEVELS}"),
    _thing("lower", rf"decrease|lower|reduc\w*|disminu\w*|bajar\w* ({_DET})?(\w+ )?{_LEVELS}"),
    _thing("waive", r"waive\w*|condon\w*|exoner\w*|no se cobra"),
    _thing("refund", r"refund\w*|reimburs\w*|reembols\w*|devuelv\w*|devol\w*"),
    _thing(
        "close_account",
        r"clos\w* (my |an |a |the |your )?(\w+ )?accounts?|accounts? (are |is )?closed"
        r"|cerrar (mi |una |la |su )?(\w+ )?cuenta|cuentas? cerradas?|cierre anticipado"
        r"|cierre de (la |su |mi )?cuenta",
    ),
)  # fmt: skip
_BY_NAME = {thing.name: thing for thing in THINGS}
ACTIONS = frozenset({"cancel", "unblock", "raise", "lower", "waive", "refund", "close_account"})
"""What a yes/no question asks to do: the answer must say whether it can be done."""
_EVENTS = frozenset({"lost", "stolen", "found"})
_ANY = re.compile("|".join(thing.pattern.pattern for thing in THINGS))


def things_in(text: str) -> set[str]:
    """The things a text names, with the broader things they are kinds of ("Platinum": a credit card)."""
    folded = fold(text)
    found = {thing.name for thing in THINGS if thing.pattern.search(folded)}
    for name in list(found):
        parent = _BY_NAME[name].parent
        while parent:
            found.add(parent)
            parent = _BY_NAME[parent].parent
    return found


def _related(a: str, b: str) -> bool:
    """One is a kind of the other (Platinum and credit card), or they are the same."""

    def line(name: str) -> set[str]:
        names = {name}
        while _BY_NAME[name].parent:
            name = _BY_NAME[name].parent
            names.add(name)
        return names

    return a in line(b) or b in line(a)


def siblings(name: str, named: Iterable[str]) -> set[str]:
    """The things in ``named`` of the same family as ``name`` that are not kinds of it, nor it of them."""
    family = _BY_NAME[name].family
    if not family:
        return set()
    return {other for other in named if _BY_NAME[other].family == family and not _related(name, other)}


def unmatched(question: str, answer: Iterable[str], facts: Iterable[str], passage: str) -> set[str]:
    """The things the question names that the answer does not state its fact for.

    ``answer``: the answer's sentences; ``facts``: those holding the asked kind of fact; each list with the
    passage's title and heading. When the question names an action ("can I cancel…", "do Premier customers
    get ATM fees refunded"), the fact is what the sentences naming that action say; ``passage``: everything
    the passage says."""
    asked = things_in(question)
    if not asked:
        return set()
    actions = asked & ACTIONS
    beside = [text for text in answer if actions & things_in(text)] if actions else list(facts)
    near = set().union(set(), *(things_in(text) for text in beside))
    whole = things_in(passage)
    missing = set()
    for name in asked - near:
        # A loose qualifier is met by a passage general about it; one naming a sibling of it states its
        # fact for something else.
        if _BY_NAME[name].specific or siblings(name, whole | near):
            missing.add(name)
    return missing


def naming_first(question: str, passages: list[T], heading: Callable[[T], str]) -> list[T]:
    """The passages whose heading names more of the question's topical things first (a specific thing, or
    what happened to the card), each group in retrieval order: "perdí mi tarjeta" reads "Reportar una
    tarjeta perdida", not "Encontró su tarjeta" ranked above it. A loose qualifier in a heading ("online",
    "purchases") moves nothing: that passage would be read for a neighbour's topic."""
    asked = {name for name in things_in(question) if _BY_NAME[name].specific or name in _EVENTS}
    if not asked:
        return list(passages)
    return sorted(passages, key=lambda passage: -len(asked & things_in(heading(passage))))


def without_things(text: str) -> str:
    """The text with the things it names taken out: what is left are the caller's own words."""
    return _ANY.sub(" ", fold(text))
