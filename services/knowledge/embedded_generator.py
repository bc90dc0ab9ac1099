"""Offline extractive generator: a 2–3 sentence answer made of the best retrieved passage's best sentences."""

from __future__ import annotations

import asyncio

from services.knowledge.base import GenerationRequest, Passage
from services.knowledge.question import asked_kinds, holds, mentions_subject, speaks_of_all
from services.knowledge.text import sentences, tokens

MAX_SENTENCES = 3
MAX_WORDS = 60


class ExtractiveGenerator:
    """Never invents: every word spoken comes from the top passage, which is in the question's language.

    The hybrid retriever is better at choosing the passage than word overlap is (measured: 57/60 vs 51/60
    passages holding the key fact), so sentences come from the top passage only. Within it, sentences are
    ranked by the question words they share, the opening sentence gets a small bonus (it states the topic),
    and the chosen ones are read in document order.
    """

    def __init__(self, max_sentences: int = MAX_SENTENCES, max_words: int = MAX_WORDS) -> None:
        self.max_sentences = max_sentences
        self.max_words = max_words

    async def generate(self, request: GenerationRequest) -> str:
        return await asyncio.to_thread(self.compose, request)

    def compose(self, request: GenerationRequest) -> str:
        """From the best passage in the caller's language. A lower-ranked one is read instead only when the
        best does not speak of what the caller named and that one speaks of all of it ("un cajero de otro
        banco": the ATM passage, not the transfers-to-other-banks one ranked above it)."""
        question = request.question
        candidates = [h.passage for h in request.passages if h.passage.lang == request.lang]
        if not candidates:
            return ""
        best = self._from(candidates[0], question)
        if mentions_subject(question, (best, candidates[0].title, candidates[0].heading)):
            return best
        for passage in candidates[1:]:
            if speaks_of_all(question, passage.embedding_text()):
                return self._from(passage, question)
        return best

    def _from(self, top: Passage, question: str) -> str:
        query = set(tokens(question))
        found = sentences(top.text)
        if not found:
            return ""

        kinds = asked_kinds(question)

        def score(position: int) -> float:
            overlap = len(set(tokens(found[position])) & query)
            # A sentence holding the kind of fact asked for (the rate, the fee) is the answer's core.
            fact = 1.0 if any(holds(found[position], kind) for kind in kinds) else 0.0
            return overlap + fact + (0.5 if position == 0 else 0.0) - 0.01 * position

        ranked = sorted(range(len(found)), key=score, reverse=True)
        chosen = [ranked[0]]
        words = len(found[ranked[0]].split())
        for position in ranked[1:]:
            if len(chosen) >= self.max_sentences:
                break
            length = len(found[position].split())
            if len(chosen) >= 2 and words + length > self.max_words:
                break
            chosen.append(position)
            words += length
        return " ".join(found[i] for i in sorted(chosen))
