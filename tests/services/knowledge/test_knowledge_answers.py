"""The labelled question set over the sample knowledge base (en + es), the off-topic guard, follow-ups."""

from __future__ import annotations

from typing import Any

from services.knowledge.base import ConversationTurn
from tests.services.knowledge.conftest import load_jsonl

LOCALE = {"en": "en-US", "es": "es-MX"}
QUESTIONS = load_jsonl("knowledge_questions.jsonl")


async def test_labelled_questions_name_the_right_source_and_speak_the_key_fact(knowledge: Any) -> None:
    labelled = [q for q in QUESTIONS if q["kind"] == "answerable"]
    assert len(labelled) >= 50 and {q["lang"] for q in labelled} == {"en", "es"}
    misses = []
    for q in labelled:
        answer = await knowledge.answer(q["q"], [], LOCALE[q["lang"]])
        ok = (
            answer.grounded
            and answer.sources[:1] == [q["source"]]
            and q["fact"].lower() in answer.text.lower()
        )
        if not ok:
            misses.append((q["q"], answer.sources[:1], answer.text))
    accuracy = 1 - len(misses) / len(labelled)
    assert accuracy >= 0.90, misses
    for lang in ("en", "es"):
        subset = [q for q in labelled if q["lang"] == lang]
        lang_misses = [m for m in misses if any(m[0] == q["q"] for q in subset)]
        assert 1 - len(lang_misses) / len(subset) >= 0.85, (lang, lang_misses)


async def test_off_topic_questions_are_all_declined_with_an_agent_offer(knowledge: Any) -> None:
    off_topic = [q for q in QUESTIONS if q["kind"] == "off-topic"]
    assert len(off_topic) >= 20
    for q in off_topic:
        answer = await knowledge.answer(q["q"], [], LOCALE[q["lang"]])
        assert not answer.grounded and answer.sources == [], q["q"]
        assert ("agent" in answer.text) if q["lang"] == "en" else ("asesor" in answer.text), answer.text


async def test_answers_are_two_or_three_sentences_in_the_callers_language(knowledge: Any) -> None:
    en = await knowledge.answer("What does an international wire cost?", [], "en-US")
    es = await knowledge.answer("¿Cuánto cuesta una transferencia internacional?", [], "es-MX")
    assert "$45" in en.text and "45 dólares" in es.text
    assert "dólares" not in en.text and "$45" not in es.text
    for answer in (en, es):
        assert 1 <= answer.text.count(". ") + 1 <= 3 and len(answer.text.split()) <= 70


async def test_short_follow_up_uses_the_previous_caller_turn(knowledge: Any) -> None:
    history = [
        ConversationTurn("caller", "What is the annual fee of the Platinum card?"),
        ConversationTurn("bot", "The Contoso Platinum card has an annual fee of $95."),
    ]
    answer = await knowledge.answer("and the APR?", history, "en-US")
    assert answer.grounded and "18.99%" in answer.text


async def test_language_is_detected_when_the_locale_is_unknown(knowledge: Any) -> None:
    answer = await knowledge.answer("¿Cuál es el número de ruta del banco?", [], "")
    assert answer.grounded and "123456780" in answer.text and answer.sources[0] == "preguntas-frecuentes.md"


async def test_empty_or_noise_question_is_declined_without_retrieval(knowledge: Any) -> None:
    answer = await knowledge.answer("\x00\x07  ", [], "es-MX")
    assert not answer.grounded and answer.text.startswith("Lo siento")
