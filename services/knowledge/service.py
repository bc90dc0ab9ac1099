"""RagKnowledge: sanitize -> retrieve -> grounding guard -> generate; the `Knowledge` the dialog calls."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from core.resilience import TwinFallback
from core.safety.sanitizer import sanitize
from locales import languages
from services.knowledge.base import (
    AnswerFiltered,
    ConversationTurn,
    Embedder,
    GenerationRequest,
    Generator,
    KnowledgeAnswer,
    KnowledgeIndex,
    KnowledgeUnavailable,
    Passage,
    ScoredPassage,
    SearchRequest,
)
from services.knowledge.phrases import BLOCKED, NOT_FOUND, phrase
from services.knowledge.question import (
    answer_holds_what_was_asked,
    fact_sentences,
    holding_first,
    is_follow_up,
    mentions_subject,
    names_nothing_missing,
)
from services.knowledge.subjects import naming_first, unmatched, without_things
from services.knowledge.text import detect_lang, lang_of_locale, sentences, tokens

logger = logging.getLogger(__name__)


class RagKnowledge:
    """Answers only from the index; declines (grounded=False) when nothing clears the guard."""

    def __init__(
        self,
        index: KnowledgeIndex,
        embedder: Embedder | None,
        generator: Generator,
        *,
        top_k: int = 3,
        history_turns: int = 6,
        max_question_chars: int = 500,
        prepare: Callable[[], Awaitable[None]] | None = None,
        twin: RagKnowledge | None = None,
        fallback: TwinFallback | None = None,
    ) -> None:
        self.twin = twin
        """The embedded knowledge that answers when an Azure part (AI Search, Azure OpenAI) is down."""
        self.fallback = fallback
        self.index = index
        self.embedder = embedder
        self.generator = generator
        self.top_k = top_k
        self.history_turns = history_turns
        self.max_question_chars = max_question_chars
        self._prepare = prepare
        self._ready = prepare is None
        self._ready_lock = asyncio.Lock()

    async def warm_up(self) -> None:
        """Load (or build, on a fresh clone) the index: at start-up, or else on the first question."""
        if self.twin is not None:
            await self.twin.warm_up()
        if self._ready:
            return
        async with self._ready_lock:
            if not self._ready and self._prepare is not None:
                await self._prepare()
            self._ready = True

    def _clean_history(self, history: list[ConversationTurn]) -> list[ConversationTurn]:
        """Last N turns, cleaned; caller turns that carry an injection are dropped, never forwarded."""
        kept: list[ConversationTurn] = []
        for turn in history[-self.history_turns :]:
            checked = sanitize(turn.text, self.max_question_chars, channel="history")
            if checked.blocked and turn.speaker == "caller":
                continue
            if checked.text:
                kept.append(ConversationTurn(turn.speaker, checked.text))
        return kept

    @staticmethod
    def _retrieval_text(question: str, history: list[ConversationTurn]) -> str:
        """A follow-up ("and at a branch?") borrows the words of the caller's last full question; a
        complete question is retrieved on its own, so an off-topic one is declined, not answered with
        the previous topic (judged by the follow-up's own form, see services/knowledge/question.py)."""
        if not is_follow_up(question):
            return question
        previous = next(
            (t.text for t in reversed(history) if t.speaker == "caller" and not is_follow_up(t.text)), ""
        )
        return f"{previous} {question}".strip()

    async def retrieve(self, text: str, lang: str | None) -> list[ScoredPassage]:
        vector = await self.embedder.embed_query(text) if self.embedder is not None else None
        return await self.index.search(
            SearchRequest(text=text, lang=lang, top=max(self.top_k, 4), vector=vector)
        )

    async def answer(self, question: str, history: list[ConversationTurn], locale: str) -> KnowledgeAnswer:
        """The answer; when AI Search or Azure OpenAI fails (or its circuit is open), the embedded twin's
        plainer (extractive) answer from the same documents."""
        if self.twin is None or self.fallback is None:
            return await self._answer(question, history, locale)
        twin = self.twin
        return await self.fallback.call(
            lambda: self._answer(question, history, locale),
            lambda: twin.answer(question, history, locale),
            (KnowledgeUnavailable,),
        )

    async def _answer(self, question: str, history: list[ConversationTurn], locale: str) -> KnowledgeAnswer:
        checked = sanitize(question, self.max_question_chars)
        lang = lang_of_locale(locale)
        if lang is None:
            # py3langid loads its model on first use (about a second): keep that off the event loop.
            lang = (
                await asyncio.to_thread(detect_lang, checked.text)
                if checked.text
                else languages.default_language().code
            )
        if checked.blocked:
            return KnowledgeAnswer(phrase(BLOCKED, lang), [], grounded=False, blocked=True)
        if not tokens(checked.text):
            return KnowledgeAnswer(phrase(NOT_FOUND, lang), [], grounded=False)
        await self.warm_up()
        clean_history = self._clean_history(history)
        asked = self._retrieval_text(checked.text, clean_history)
        hits = await self.retrieve(asked, lang)
        relevant = holding_first(
            asked,
            naming_first(
                asked,
                [h for h in hits[: self.top_k] if self.index.is_relevant(h)],
                lambda h: h.passage.heading,
            ),
            lambda h: h.passage.text,
        )
        if not relevant:
            logger.info(
                "knowledge_not_grounded",
                extra={
                    "event": "knowledge_not_grounded",
                    "lang": lang,
                    "top_similarity": hits[0].vector_score if hits else None,
                },
            )
            return KnowledgeAnswer(phrase(NOT_FOUND, lang), [], grounded=False)
        try:
            text = await self.generator.generate(
                GenerationRequest(checked.text, clean_history, relevant, lang)
            )
        except AnswerFiltered:
            return KnowledgeAnswer(phrase(BLOCKED, lang), [], grounded=False, blocked=True)
        if not text.strip() or not self._answers_what_was_asked(checked.text, asked, text, relevant, hits):
            return KnowledgeAnswer(phrase(NOT_FOUND, lang), [], grounded=False)
        sources = list(dict.fromkeys(h.passage.file_name for h in relevant))
        return KnowledgeAnswer(text.strip(), sources, grounded=True)

    @staticmethod
    def _answers_what_was_asked(
        question: str, asked: str, answer: str, passages: list[ScoredPassage], hits: list[ScoredPassage]
    ) -> bool:
        """An on-topic passage is no answer when it does not speak of what the caller named, or when the
        answer lacks the kind of fact asked for (a rate, a fee, a time that the documents do not hold).
        The same rule for every generator: it reads the spoken answer and the passage it comes from."""
        source = _source_of(answer, passages)
        context = (source.title, source.heading)
        about_it = mentions_subject(question, (answer, *context))
        holds_it = answer_holds_what_was_asked(asked, answer)
        # The caller's other words: a word that one other retrieved passage uses names a thing of its own.
        named = names_nothing_missing(
            without_things(question), source.embedding_text(), (h.passage.embedding_text() for h in hits)
        )
        # Every thing the caller named (a product, a kind of card, an action) is named beside the fact.
        things = not unmatched(
            question,
            [*sentences(answer), *context],
            [*fact_sentences(asked, answer), *context],
            source.embedding_text(),
        )
        named = named and things
        if not (about_it and holds_it and named):
            logger.info(
                "knowledge_answer_withheld",
                extra={
                    "event": "knowledge_answer_withheld",
                    "off_subject": not about_it,
                    "lacks_fact": not holds_it,
                    "names_missing": not named,
                },
            )
        return about_it and holds_it and named

    async def covers(self, question: str, locale: str) -> bool:
        """A strong match for the question's own words (no history, no generation), for MainDialog."""
        checked = sanitize(question, self.max_question_chars)
        if checked.blocked or not tokens(checked.text):
            return False
        await self.warm_up()
        hits = await self.retrieve(checked.text, lang_of_locale(locale))
        return any(self.index.is_relevant(hit) for hit in hits[: self.top_k])


def _source_of(answer: str, passages: list[ScoredPassage]) -> Passage:
    """The passage the answer was read from: the one sharing most words with it (the top passage for the
    extractive generator; whichever the language model drew on)."""
    said = set(tokens(answer))
    best = max(passages, key=lambda hit: len(said & set(tokens(hit.passage.text))))
    return best.passage
