"""CLU analyze-conversations answers in the recorded 2023-04-01 shape, built from a score per intent."""

from __future__ import annotations

from typing import Any


def conversation_result(
    query: str, scores: dict[str, float], confidence_threshold: float = 0.0
) -> dict[str, Any]:
    """The 200 body CLU returns for a Conversation project: every intent, best first, scores to 4 places;
    ``topIntent`` becomes "None" below the project's confidenceThreshold, as the service does."""
    intents = sorted(
        ({"category": name, "confidenceScore": round(score, 4)} for name, score in scores.items()),
        key=lambda item: -item["confidenceScore"],
    )
    top = intents[0]["category"] if intents[0]["confidenceScore"] >= confidence_threshold else "None"
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
