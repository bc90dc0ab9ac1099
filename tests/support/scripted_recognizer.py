"""A recognizer double for dialog tests: fixed intent scores for chosen utterances, a real one for the rest.

It lets a routing test say "the recognizer is 0.93 sure this is CardPaymentInfo" without depending on
what the trained model happens to answer today; MainDialog (the thing under test) runs for real.
"""

from __future__ import annotations

from botbuilder.core import RecognizerResult

from dialogs.registry import registered_intents
from recognizers.base import CallerRecognizer, build_result
from recognizers.language import detect_language


class ScriptedRecognizer(CallerRecognizer):
    def __init__(self, fallback: CallerRecognizer, script: dict[str, tuple[str, float]]) -> None:
        self.fallback = fallback
        self.script = {text.casefold(): answer for text, answer in script.items()}

    async def recognize_text(self, text: str, locale_hint: str | None = None) -> RecognizerResult:
        scripted = self.script.get(text.casefold())
        if scripted is None:
            return await self.fallback.recognize_text(text, locale_hint)
        intent, score = scripted
        intents = registered_intents()
        scores = {name: (1.0 - score) / (len(intents) - 1) for name in intents}
        scores[intent] = score
        return build_result(text, scores, {}, detect_language(text, locale_hint))
