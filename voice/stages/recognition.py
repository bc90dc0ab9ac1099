"""The recognition stage: endpointer events -> one STT stream per utterance -> UtteranceTurn.

At a pause it also judges, from the words heard so far (``voice/turn_completion.py``), how much silence
ends the turn, and tells the endpointer. A speculative step (NLU on the early final, a bot turn started
before the endpointer decides) would be a stage after this one taking ``SpeechPaused``/``UtteranceTurn``.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from services.speech.base import SpeechToText, SttResult
from voice.endpointer import EndpointEvent
from voice.frames import (
    InputHint,
    Outgoing,
    Say,
    SpeechAudio,
    SpeechEnded,
    SpeechPaused,
    SpeechResumed,
    SpeechStarted,
    TurnTiming,
    UnrecognisedTurn,
    UtteranceTurn,
)
from voice.recognition import UtteranceRecognizer
from voice.stages.base import Stage
from voice.turn_completion import LexicalTurnCompletion, TurnCompletion, Verdict

log = logging.getLogger(__name__)


class RecognitionStage(Stage[EndpointEvent]):
    """Caller speech to text: pushes an ``UtteranceTurn`` per recognised utterance."""

    accepts = (SpeechStarted, SpeechAudio, SpeechPaused, SpeechResumed, SpeechEnded)
    name = "stt"

    def __init__(
        self,
        stt: SpeechToText | None,
        turn_completion: TurnCompletion,
        say_again: Callable[[str], Say] | None = None,
    ) -> None:
        """``say_again``: the prompt (in a locale) for an utterance that could not be recognised."""
        super().__init__()
        self.stt = stt
        self._say_again = say_again
        self._completion = turn_completion
        self._recognizer: UtteranceRecognizer | None = None
        self._last_partial = ""
        self._judging: set[asyncio.Task[None]] = set()
        self._partial_judge = LexicalTurnCompletion()

    async def run(self) -> None:
        self._recognizer = UtteranceRecognizer(self.stt, self._partial, self.call.call_id)
        await super().run()

    async def stopped(self) -> None:
        for task in list(self._judging):
            task.cancel()
        if self._recognizer is not None:
            await self._recognizer.close()

    async def process(self, frame: EndpointEvent) -> None:
        recognizer, call = self._recognizer, self.call
        assert recognizer is not None  # set by run()
        if isinstance(frame, SpeechAudio):
            await recognizer.audio(frame.pcm)
        elif isinstance(frame, SpeechStarted):
            self._last_partial = ""
            await recognizer.start(call.locale if call.locale_known else None)
        elif isinstance(frame, SpeechPaused):
            self._judge_partial(frame.seq)
            early = recognizer.pause()
            if early is not None and call.settings.complete_turn_silence_ms > 0:
                early.add_done_callback(functools.partial(self._final_heard, pause_seq=frame.seq))
        elif isinstance(frame, SpeechResumed):
            await recognizer.resume()
        else:
            result = await recognizer.finish(call.settings.stt_timeout_seconds)
            await self._recognized(frame, result)

    def _judging_task(self, verdict: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(verdict)
        self._judging.add(task)
        task.add_done_callback(self._judging.discard)

    def _final_heard(self, early: asyncio.Task[SttResult], *, pause_seq: int) -> None:
        if early.cancelled() or early.exception() is not None or self.call.closed:
            return
        self._judging_task(self._judge_pause(early.result(), pause_seq))

    async def _judge_pause(self, result: SttResult, pause_seq: int) -> None:
        """The speculative final is in: a complete request ends the turn after a short silence, unless the
        streaming engine's own reading of the same audio ends on a word that waits. On bench.false_cuts'
        tune set whisper tiny.en misheard "what is the balance of |" and dropped the "and" of "my card was
        stolen and |" where pocketsphinx heard "...the balance on" / "...stolen and"; none of
        bench.voice_latency's finished requests streamed such an ending."""
        call = self.call
        locale = result.language or call.locale
        if self._partial_judge.judge(result.streamed_text, locale) is Verdict.INCOMPLETE:
            # The streaming engine heard a word that waits ("...stolen and", "...the balance on") where the
            # second pass did not ("my card was stolen.", "what is the man and son?"): two engines
            # disagree on the same audio, so the caller keeps the turn, and the recognizer is not run
            # for a verdict it could not change.
            verdict = Verdict.INCOMPLETE
        else:
            verdict = await self._completion.verdict(result.text, locale)
        if call.closed:
            return
        silence_ms = {
            Verdict.COMPLETE: call.settings.complete_turn_silence_ms,
            Verdict.INCOMPLETE: call.settings.incomplete_turn_silence_ms,
        }.get(verdict, call.settings.end_silence_ms)
        call.end_silence_for(pause_seq, silence_ms)

    def _judge_partial(self, pause_seq: int) -> None:
        """At the pause, the streaming partial can only make the turn wait longer (an unfinished phrase,
        while the final, perhaps a slow second pass, is still coming); only a final ends it sooner. Words
        alone say a phrase is unfinished, so the partial is judged on them (no recognizer run while the
        final is decoding on the same cores)."""
        call = self.call
        if call.settings.complete_turn_silence_ms <= 0 or not self._last_partial:
            return
        if self._partial_judge.judge(self._last_partial, call.locale) is Verdict.INCOMPLETE:
            call.end_silence_for(pause_seq, call.settings.incomplete_turn_silence_ms)

    async def _partial(self, text: str) -> None:
        self._last_partial = text
        await self.call.sink.send_event("Transcript", {"role": "caller", "text": text, "final": False})

    async def _recognized(self, end: SpeechEnded, result: SttResult | None) -> None:
        call = self.call
        timing = TurnTiming(
            last_voice_at=end.last_voice_at, endpoint_at=end.decided_at, stt_done_at=time.monotonic()
        )
        text = result.text.strip() if result is not None else ""
        timing.text = text
        log.info("utterance", extra={"call_id": call.call_id, "reason": end.reason, "chars": len(text)})
        if result is None and self._say_again is not None:
            # Recognition failed, timed out or was shed: the caller spoke and must hear something, and the
            # call goes on listening (the prompt expects an answer, so the no-input timer follows it).
            # Again and again, and the caller goes to a person instead: repeated failure is a handoff.
            call.unrecognised_count += 1
            count, limit = call.unrecognised_count, call.settings.unrecognised_before_agent
            if limit and count >= limit:
                log.info(
                    "utterances not recognised: handed over", extra={"call_id": call.call_id, "count": count}
                )
                call.unrecognised_count = 0
                self.push(UnrecognisedTurn(count))
            else:
                log.info(
                    "utterance not recognised: asked again", extra={"call_id": call.call_id, "count": count}
                )
                call.deliver(Outgoing(self._say_again(call.locale), timing, call.onsets))
        elif text and result is not None:
            call.unrecognised_count = 0
            if result.language:
                call.locale, call.locale_known = result.language, True
            await call.sink.send_event("Transcript", {"role": "caller", "text": text, "final": True})
            self.push(UtteranceTurn(text, result.language or call.locale, timing))
        elif call.play_hint is InputHint.EXPECTING and not call.prompt_waiting() and not call.playing:
            call.arm_no_input()
