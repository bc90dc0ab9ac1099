"""N-best rescoring of whisper's English reading against the bank's own phrases (a word trigram LM).

whisper tiny.en's beam holds several readings at no extra decode cost; on telephone-band audio the one it
ranks first sometimes drops the word that names the request ("what do i owe on my credit card" ->
"what am i on my credit card") while a lower one keeps it. Each reading is scored by whisper's mean token
log-probability plus ``weight`` times the mean per-word log-probability of a trigram LM trained on the
domain phrases (the CLU utterances, as pocketsphinx's LM is), and the best is kept.

Never rescored: a reading whose digits or number words differ from whisper's first (a PIN or an amount is
what whisper heard, not what the bank's phrases say most often), and an empty first reading.

The trigram is hand-written (~40 lines). ``pocketsphinx.NGramModel.prob`` over the ARPA LM that
pocketsphinx already gets from the same phrases could replace it from a library; the weight was chosen on
this model, so a switch means choosing it again with ``python -m bench.nbest_weight``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from services.speech.vocabulary import normalize

_NUMBER_WORDS = frozenset(
    "zero oh one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred "
    "thousand million".split()
)
_START, _END = "<s>", "</s>"


@dataclass(frozen=True)
class Reading:
    """One of whisper's beam hypotheses: its text and mean token log-probability."""

    text: str
    logprob: float


class DomainLM:
    """Interpolated Witten-Bell word trigram over normalised phrases; unseen words share a floor."""

    def __init__(self, phrases: Iterable[str]) -> None:
        self._counts: list[Counter[tuple[str, ...]]] = [Counter(), Counter(), Counter()]
        self._context: list[Counter[tuple[str, ...]]] = [Counter(), Counter(), Counter()]
        self._followers: list[dict[tuple[str, ...], set[str]]] = [{}, {}, {}]
        for phrase in phrases:
            words = [_START, _START, *normalize(phrase).split(), _END]
            for i in range(2, len(words)):
                for order in range(3):  # 0: unigram, 1: bigram, 2: trigram
                    history = tuple(words[i - order : i])
                    self._counts[order][(*history, words[i])] += 1
                    self._context[order][history] += 1
                    self._followers[order].setdefault(history, set()).add(words[i])
        self._vocab = len({key[-1] for key in self._counts[0]}) + 1  # the +1: any unseen word

    def _prob(self, history: tuple[str, ...], word: str) -> float:
        p = 1.0 / self._vocab
        for order in range(3):
            h = history[len(history) - order :] if order else ()
            seen = self._context[order][h]
            if not seen:
                continue
            types = len(self._followers[order][h])
            lam = seen / (seen + types)
            p = lam * self._counts[order][(*h, word)] / seen + (1 - lam) * p
        return p

    def per_word(self, text: str) -> float:
        """Mean natural log-probability per word, the end of the phrase counted as a word."""
        words = [_START, _START, *normalize(text).split(), _END]
        logs = [math.log(self._prob((words[i - 2], words[i - 1]), words[i])) for i in range(2, len(words))]
        return sum(logs) / len(logs)


def numbers(text: str) -> tuple[str, ...]:
    """The digits and number words in order: what rescoring must never change."""
    out: list[str] = []
    for token in text.lower().replace("-", " ").split():
        digits = "".join(c for c in token if c.isdigit())
        word = "".join(c for c in token if c.isalpha())
        if digits:
            out.append(digits)
        elif word in _NUMBER_WORDS:
            out.append(word)
    return tuple(out)


def rescore(readings: Sequence[Reading], lm: DomainLM | None, weight: float) -> int:
    """Index of the reading to keep (0, whisper's own first, unless a same-numbers one scores higher)."""
    if lm is None or weight <= 0 or len(readings) < 2 or not readings[0].text.strip():
        return 0
    first = numbers(readings[0].text)

    domain: dict[str, float] = {}  # the beam's readings often differ only in punctuation or case

    def score(i: int) -> float:
        words = normalize(readings[i].text)
        if words not in domain:
            domain[words] = lm.per_word(words)
        return readings[i].logprob + weight * domain[words]

    eligible = [i for i, r in enumerate(readings) if r.text.strip() and numbers(r.text) == first]
    return max(eligible, key=score)
