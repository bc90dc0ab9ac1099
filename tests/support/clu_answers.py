"""CLU analyze-conversations answers in the recorded 2023-04-01 shape, built from a score per intent."""

from __future__ import annotations

from typing import Any


def conversation_result(
    query: str, scores: dict[str, float], confidence_threshold: float = 0.0
) -> dict[str, Any]:
    """The 200 body CLU returns for a Conversation project: every intent, best first, scores to 4 places;
    ``topIntent`` becomes "None" below the project's confidenceThreshold, as the service does."""
    ranked = sorted(((round(score, 4), name) for name, score in scores.items()), key=lambda pair: -pair[0])
    intents = [{"category": name, "confidenceScore": score} for score, name in ranked]
    top = ranked[0][1] if ranked[0][0] >= confidence_threshold else "None"
    return {
        "kind": "ConversationResult",
        "result": {
            "query": query,
            "prediction": {
                "topIntent": top,
                "projectKind": "Conversation",
                "intents": intents,
                "entities": [],
            },
        },
    }
