"""Offline speech-to-text: pocketsphinx (English, streaming, domain LM), faster-whisper (Spanish, and
English's second pass).

Language choice: the locale hint picks the engine. Without a hint, English is decoded as it streams
(partials) while the audio is kept; at ``finish`` whisper's language detection, limited to en/es,
decides whether the English result stands or the utterance is decoded again in Spanish.

English second pass: pocketsphinx streams partials, but on telephone-band audio it loses words that
change the intent ("i lost my card" -> "are card"). Once the caller has been quiet for 200 ms, whisper
tiny.en decodes the utterance speculatively; ``finish`` uses its text when it is ready within
``second_pass_budget_ms`` of the end of speech, pocketsphinx's otherwise (figures: bench/speech_wer.py).

Many callers at once: each engine decodes on its own lane (``services/speech/decode_lanes.py``), never in
the default thread pool the bot's turns use. A live utterance never queues for whisper longer than
``max_decode_wait_ms``: English keeps pocketsphinx's result (the second pass is skipped when its lane is
busy), an utterance of unknown language is taken as English (language detection is skipped), and a
Spanish one is shed (``SpeechShed``: the call asks the caller to say it again).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from locales import languages
from locales.catalogue import Catalogue
from services.speech.audio import check_pcm, check_rate
from services.speech.base import FRAME_BYTES, SAMPLE_RATE, SpeechUnavailable, SttResult, partials_until_closed
from services.speech.decode_lanes import DecodeLane, SpeechShed, cores
from services.speech.sphinx_engine import SphinxModel, SphinxUtterance
from services.speech.vad import WebRtcFrameClassifier
from services.speech.vocabulary import DomainVocabulary, load_vocabulary
from services.speech.whisper_engine import (
    WhisperEngine,
    WhisperResult,
    install_whisper_base,
    tiny_en_model_dir,
)

log = logging.getLogger(__name__)

_CHUNK_BYTES = 3200  # pocketsphinx is fed 100 ms at a time: one thread hop per 5 frames
_MAX_SECONDS = 60
_SPECULATE_MS = 200
_DECODE_NICE = 5  # whisper decodes yield the CPU 3:1 to the event loop and the bot's turns
# English n-best rescoring: whisper's mean token log-probability + this x the domain LM's per word
# (bench/nbest_weight.py, 780 tuning clips: intent from audio, 8 kHz 0.779 -> 0.823, 16 kHz 0.915 -> 0.935;
# 0.15-0.3 were within a clip or two of each other, 0.5 worse at 16 kHz)
DOMAIN_WEIGHT = 0.2


def _language(locale_hint: str | None) -> str | None:
    found = languages.find(locale_hint) if locale_hint else None
    return found.code if found else None


def _streams(lang: str) -> bool:
    """Pocketsphinx decodes this language as it streams; whisper decodes the others after the endpoint."""
    return languages.language_for(lang).stt_engine == "pocketsphinx"


def _sphinx_language() -> str:
    """The language of pocketsphinx's domain LM (its bundled model is English: one language at most)."""
    return next(language.code for language in languages.LANGUAGES if _streams(language.code))


def whisper_prompt(lang: str) -> str:
    """The bank's name and ten curated domain sentences (``speech.intro``, ``speech.prompt`` in the locale's
    catalogue) as the "previous text": whisper then favours the bank's words and spelling.

    Measured on 20 Spanish test phrases: WER 0.47 without a prompt, 0.49 with a list of entity synonyms,
    0.35 with ten CLU utterances spread over the file (so over the intents). A fixed list, not utterances
    picked from the CLU project file: picked by file position, the prompt changed and grew whenever a
    dialog author added utterances (934 -> 2,676 utterances: 73 -> 111 tokens in English, and whisper's
    per-step decode cost grows with the prompt). The lists are the ten utterances session 9 measured, but
    in English "my pin is 4321." instead of "where is the nearest gas station.": with no PIN sentence,
    "my pin is four seven one nine" was heard "my bid is 4719", which the PIN prompt cannot read (main's
    prompt did the same; only the tests' built-in vocabulary had a PIN sentence).
    """
    catalogue = Catalogue.load()
    return f"{catalogue.text(lang, 'speech.intro')} {catalogue.text(lang, 'speech.prompt')}"


def whisper_prompts() -> dict[str, str]:
    """``whisper_prompt`` for every language, as the multilingual engine takes them."""
    return {lang: whisper_prompt(lang) for lang in languages.codes()}


def build_engines(data_dir: Path, vocabulary: DomainVocabulary) -> tuple[SphinxModel, WhisperEngine]:
    """Load both engines synchronously (start-up scripts, test fixtures, benchmarks)."""
    sphinx = SphinxModel(vocabulary.for_language(_sphinx_language()), data_dir / "stt")
    return sphinx, WhisperEngine(install_whisper_base(data_dir), 0, whisper_prompts())


def build_english_pass(
    vocabulary: DomainVocabulary, cpu_threads: int = 0, domain_weight: float = DOMAIN_WEIGHT
) -> WhisperEngine:
    """whisper tiny.en with the domain prompt (which lowered WER on the telephone-band tuning set), its
    beam's readings rescored against a trigram LM of the same domain phrases (``speech/nbest.py``)."""
    return WhisperEngine(
        tiny_en_model_dir(),
        cpu_threads,
        {"en": whisper_prompt("en")},
        short_window=True,
        domain_phrases=vocabulary.for_language("en"),
        domain_weight=domain_weight,
    )


class EmbeddedSpeechToText:
    """``SpeechToText`` that runs on this machine; engines load on first use or in ``warm_up``."""

    def __init__(
        self,
        data_dir: Path,
        clu_project_file: Path | None = None,
        vocabulary: DomainVocabulary | None = None,
        whisper_threads: int = 0,
        sphinx: SphinxModel | None = None,
        whisper: WhisperEngine | None = None,
        english_pass: WhisperEngine | None = None,
        english_second_pass: bool = True,
        second_pass_budget_ms: int | None = 600,
        max_decode_wait_ms: int | None = 1000,
        streams_at_once: int = 4,
    ) -> None:
        """``sphinx``/``whisper``/``english_pass`` let several instances share loaded engines (tests,
        benchmarks). ``second_pass_budget_ms``: the English second pass is used when ready that long after
        the caller's last voiced frame (None: ``finish`` always waits for it). ``max_decode_wait_ms``: the
        longest a live utterance waits for whisper behind other callers' decodes (None: no bound).
        ``streams_at_once``: pocketsphinx decoders built by ``warm_up`` (one per caller talking at once)."""
        self._data_dir = data_dir
        self.vocabulary = vocabulary or load_vocabulary(clu_project_file)
        self._whisper_threads = whisper_threads
        self._sphinx: SphinxModel | None = sphinx
        self._whisper: WhisperEngine | None = whisper
        self._english: WhisperEngine | None = english_pass
        self.english_second_pass = english_second_pass
        self.second_pass_budget_s = None if second_pass_budget_ms is None else second_pass_budget_ms / 1000
        self._sphinx_lock = asyncio.Lock()
        self._whisper_lock = asyncio.Lock()
        self._english_lock = asyncio.Lock()
        self.max_decode_wait_s = None if max_decode_wait_ms is None else max_decode_wait_ms / 1000
        self._streams_at_once = streams_at_once
        # pocketsphinx: short per-chunk work, one thread per core; each whisper model: one decode at a time.
        self.sphinx_lane = DecodeLane("pocketsphinx", cores(), first_guess_s=0.02)
        self.whisper_lane = DecodeLane("whisper", first_guess_s=2.0, nice=_DECODE_NICE)
        self.english_lane = DecodeLane("whisper-en", first_guess_s=0.4, nice=_DECODE_NICE)

    async def sphinx(self) -> SphinxModel:
        async with self._sphinx_lock:
            if self._sphinx is None:
                phrases = self.vocabulary.for_language(_sphinx_language())
                self._sphinx = await self.sphinx_lane.run(SphinxModel, phrases, self._data_dir / "stt")
                log.info(
                    "english domain LM built",
                    extra={"sentences": self._sphinx.sentences, "words": self._sphinx.vocabulary_size},
                )
            return self._sphinx

    async def whisper(self) -> WhisperEngine:
        async with self._whisper_lock:
            if self._whisper is None:
                try:
                    model_dir = await self.whisper_lane.run(install_whisper_base, self._data_dir)
                    self._whisper = await self.whisper_lane.run(
                        WhisperEngine, model_dir, self._whisper_threads, whisper_prompts()
                    )
                except (OSError, RuntimeError, ValueError) as exc:
                    raise SpeechUnavailable(f"whisper model could not be loaded: {exc}") from exc
            return self._whisper

    async def english_pass(self) -> WhisperEngine | None:
        """whisper tiny.en for the English second pass; None when it is off or cannot be loaded."""
        if not self.english_second_pass:
            return None
        async with self._english_lock:
            if self._english is None:
                try:
                    self._english = await self.english_lane.run(
                        build_english_pass, self.vocabulary, self._whisper_threads
                    )
                except (OSError, RuntimeError, ValueError, SpeechUnavailable) as exc:
                    log.warning("english second pass off: %s", exc)
                    self.english_second_pass = False
                    return None
            return self._english

    async def second_pass(self, audio: bytes, queue: bool) -> WhisperResult | None:
        """whisper tiny.en on one English utterance; None when it is off, or busy and ``queue`` is false.

        Live calls never queue: a pass that waited behind another would rarely be ready in time, and
        queued passes would pile up on a busy server (each costs ~0.3-0.8 s of CPU); pocketsphinx's
        result stands instead."""
        english = await self.english_pass()
        if english is None:
            return None
        if not queue and self.english_lane.busy:
            # Busy until the running decode's thread returns, even when its caller gave up on it.
            shed(self.english_lane, "kept the streamed English result")
            return None
        return await self.english_lane.run(english.transcribe, audio, "en")

    async def warm_up(self) -> None:
        """Build the English LM and load both whispers now, so the first caller does not wait (~3 s)."""
        sphinx, whisper, english = await asyncio.gather(self.sphinx(), self.whisper(), self.english_pass())
        await self.sphinx_lane.run(sphinx.prepare, self._streams_at_once)
        whispered = next(code for code in languages.codes() if not _streams(code))
        await self.whisper_lane.run(whisper.transcribe, b"\x00\x00" * SAMPLE_RATE, whispered)
        if english is not None:
            await self.english_lane.run(english.transcribe, b"\x00\x00" * SAMPLE_RATE, "en")

    def open_stream(
        self, locale_hint: str | None = None, sample_rate: int = SAMPLE_RATE
    ) -> EmbeddedSttStream:
        check_rate(sample_rate)
        return EmbeddedSttStream(
            self,
            _language(locale_hint),
            second_pass_budget_s=self.second_pass_budget_s,
            max_decode_wait_s=self.max_decode_wait_s,
        )

    async def transcribe(
        self, pcm: bytes, locale_hint: str | None = None, sample_rate: int = SAMPLE_RATE
    ) -> SttResult:
        check_rate(sample_rate)
        check_pcm(pcm)
        # A whole recording (post-call transcript): nobody is waiting on the line, so the English second
        # pass is always awaited.
        stream = EmbeddedSttStream(self, _language(locale_hint), max_seconds=None, second_pass_budget_s=None)
        try:
            await stream.push(pcm)
            return await stream.finish()
        finally:
            await stream.close()

    async def close(self) -> None:
        if self._sphinx is not None:
            self._sphinx.close()
        for lane in (self.sphinx_lane, self.whisper_lane, self.english_lane):
            lane.close()


def shed(lane: DecodeLane, outcome: str) -> None:
    """A live decode not queued behind others: logged with the lane and what the caller got (no text)."""
    log.info("speech decode shed", extra={"lane": lane.name, "outcome": outcome})


class EmbeddedSttStream:
    """One utterance. English streams through pocketsphinx; Spanish is buffered for whisper.

    Whisper's work (Spanish, English's second pass, and without a hint language detection) starts
    speculatively once the caller has been quiet for 200 ms; ``finish`` uses it when only silence followed.
    """

    def __init__(
        self,
        stt: EmbeddedSpeechToText,
        lang: str | None,
        max_seconds: int | None = _MAX_SECONDS,
        second_pass_budget_s: float | None = None,
        max_decode_wait_s: float | None = None,
    ) -> None:
        """``second_pass_budget_s``: how long after the last voiced frame the English second pass may be
        used (None: ``finish`` waits until it is done). ``max_decode_wait_s``: the longest a whisper decode
        may wait behind others (None: as long as it takes; a recording nobody waits on the line for)."""
        self._stt = stt
        self._budget_s = second_pass_budget_s
        self._max_wait_s = max_decode_wait_s
        self._max_bytes = max_seconds * SAMPLE_RATE * 2 if max_seconds else None
        self._lang = lang
        self._audio = bytearray()
        self._pending = bytearray()
        self._fed = 0
        self._utt: SphinxUtterance | None = None
        self._partials: asyncio.Queue[SttResult | None] = asyncio.Queue()
        self._last_partial = ""
        self._lock = asyncio.Lock()
        self._done = False
        self._final: SttResult | None = None
        # Whisper decodes after the endpoint; a speculative decode starts once the caller has been quiet
        # for _SPECULATE_MS, and is used at finish() if no speech came after it.
        self._vad = (
            WebRtcFrameClassifier() if lang is None or not _streams(lang) or stt.english_second_pass else None
        )
        self._vad_pos = 0
        self._voiced_end = 0
        self._spec: tuple[int, asyncio.Task[tuple[str, WhisperResult | None]]] | None = None

    @property
    def streams_english(self) -> bool:
        return self._lang is None or _streams(self._lang)

    async def push(self, pcm: bytes) -> None:
        check_pcm(pcm)
        if self._done:
            raise RuntimeError("stream already finished")
        if self._max_bytes is not None and len(self._audio) + len(pcm) > self._max_bytes:
            return  # past the longest utterance any endpointer lets through; the rest is dropped
        self._audio += pcm
        if self._vad is not None:
            self._track_silence()
        if not self.streams_english:
            return
        self._pending += pcm
        if len(self._pending) >= _CHUNK_BYTES:
            await self._feed_sphinx()

    def _track_silence(self) -> None:
        assert self._vad is not None
        while self._vad_pos + FRAME_BYTES <= len(self._audio):
            frame = bytes(self._audio[self._vad_pos : self._vad_pos + FRAME_BYTES])
            self._vad_pos += FRAME_BYTES
            if self._vad(frame):
                self._voiced_end = self._vad_pos
        quiet_ms = (self._vad_pos - self._voiced_end) * 1000 // (SAMPLE_RATE * 2)
        if (
            self._voiced_end
            and quiet_ms >= _SPECULATE_MS
            and (self._spec is None or self._spec[0] != self._voiced_end)
        ):
            earlier = self._spec[1] if self._spec is not None else None
            self._spec = (
                self._voiced_end,
                asyncio.create_task(self._whisper_after(earlier, bytes(self._audio), self._lang)),
            )
            self._spec[1].add_done_callback(self._speculative_partial)

    def _speculative_partial(self, task: asyncio.Task[tuple[str, WhisperResult | None]]) -> None:
        if self._done or task.cancelled() or task.exception() is not None:
            return
        lang, res = task.result()
        if res is not None and res.text:
            self._partials.put_nowait(SttResult(res.text, False, languages.locale_of(lang), 0, 0))

    async def _whisper_after(
        self, earlier: asyncio.Task[tuple[str, WhisperResult | None]] | None, audio: bytes, lang: str | None
    ) -> tuple[str, WhisperResult | None]:
        """Whisper's reading once this stream's own decode of an earlier pause is done, not beside it:
        queued beside its own stale work, a later decode was shed (the lane looked busy), and a lone
        Spanish caller who paused mid-phrase ("perdí mi | tarjeta") was asked to say it again on a quiet
        box. The wait is bounded: a decode not started within the bound is dropped by the lane."""
        if earlier is not None and not earlier.done():
            await asyncio.wait([earlier])
        return await self._whisper(audio, lang)

    async def _whisper(self, audio: bytes, lang: str | None) -> tuple[str, WhisperResult | None]:
        """Language (detected among en/es when not given) and whisper's transcript (English: the second
        pass, None when it is off)."""
        lane = self._stt.whisper_lane
        if lang is None:
            whisper = await self._stt.whisper()
            try:
                detected, share = await lane.run(whisper.detect, audio, max_wait_s=self._max_wait_s)
                log.debug("language detected", extra={"language": detected, "share": round(share, 2)})
            except SpeechShed:
                # Too many decodes ahead: taken as the streaming engine's language, whose result is in hand.
                shed(lane, "language taken as the streamed one")
                detected = _sphinx_language()
        chosen: str = lang if lang is not None else detected
        if _streams(chosen):
            return chosen, await self._stt.second_pass(audio, queue=self._budget_s is None)
        whisper = await self._stt.whisper()
        try:
            return chosen, await lane.run(whisper.transcribe, audio, chosen, max_wait_s=self._max_wait_s)
        except SpeechShed:
            shed(lane, "asked again")
            raise

    async def _feed_sphinx(self) -> None:
        async with self._lock:
            if not self._pending:
                return
            chunk, self._pending = bytes(self._pending), bytearray()
            if self._utt is None:
                self._utt = await self._stt.sphinx_lane.run(SphinxUtterance, await self._stt.sphinx())
            partial = await self._stt.sphinx_lane.run(self._utt.process, chunk)
            self._fed += len(chunk)
            if partial and partial != self._last_partial:
                self._last_partial = partial
                end_ms = self._fed * 1000 // (SAMPLE_RATE * 2)
                lang = languages.locale_of(self._lang or _sphinx_language())
                self._partials.put_nowait(SttResult(partial, False, lang, 0, end_ms))

    def partials(self) -> AsyncIterator[SttResult]:
        return partials_until_closed(self._partials)

    async def finish(self) -> SttResult:
        if self._final is not None:
            return self._final
        self._done = True
        try:
            self._final = await self._decode()
        finally:
            self._partials.put_nowait(None)
        return self._final

    async def _decode(self) -> SttResult:
        audio = bytes(self._audio)
        english: tuple[str, int, int, float] | None = None
        if self.streams_english:
            await self._feed_sphinx()
            if self._utt is not None:
                utt, self._utt = self._utt, None
                english = await self._stt.sphinx_lane.run(utt.finish)
        if self._lang is not None and _streams(self._lang):
            lang, res = self._lang, await self._second_pass(audio)
        elif self._spec is not None and self._spec[0] == self._voiced_end and not _was_shed(self._spec[1]):
            lang, res = await self._spec[1]  # nothing but silence since the speculative work started
        else:
            earlier = self._spec[1] if self._spec is not None else None
            lang, res = await self._whisper_after(earlier, audio, self._lang)
        if res is None or (lang == "en" and not res.text):
            text, start, end, conf = english or ("", 0, 0, 0.0)
            return SttResult(text, True, languages.locale_of(_sphinx_language()), start, end, conf)
        streamed = english[0] if english is not None and lang == "en" else ""
        locale = languages.locale_of(lang)
        return SttResult(res.text, True, locale, res.start_ms, res.end_ms, res.confidence, streamed)

    def _wait_left(self) -> float | None:
        """What is left of the budget: the quiet already received since the last voiced frame counts."""
        if self._budget_s is None:
            return None
        quiet_s = (len(self._audio) - self._voiced_end) / (SAMPLE_RATE * 2)
        return max(0.0, self._budget_s - quiet_s)

    async def _second_pass(self, audio: bytes) -> WhisperResult | None:
        """English: whisper tiny.en's result if it is ready within the budget, else None (pocketsphinx's)."""
        if not self._stt.english_second_pass:
            return None
        if self._spec is None or self._spec[0] != self._voiced_end:
            self._spec = (self._voiced_end, asyncio.create_task(self._whisper(audio, "en")))
        task = self._spec[1]
        try:
            async with asyncio.timeout(self._wait_left()):
                _, res = await asyncio.shield(task)
        except TimeoutError:
            log.debug("english second pass not ready in time")
            return None
        except (SpeechUnavailable, RuntimeError, ValueError) as exc:
            log.warning("english second pass failed: %s", type(exc).__name__)
            return None
        return res

    async def close(self) -> None:
        self._done = True
        if self._spec is not None and not self._spec[1].done():
            self._spec[1].cancel()  # the thread finishes its decode; nobody waits for it
        if self._utt is not None:
            utt, self._utt = self._utt, None
            await self._stt.sphinx_lane.run(utt.close)
        self._partials.put_nowait(None)

    def __repr__(self) -> str:  # never the audio or text: both may hold personal data
        return f"EmbeddedSttStream(lang={self._lang!r}, bytes={len(self._audio)})"


def _was_shed(task: asyncio.Task[object]) -> bool:
    """A speculative decode shed on arrival: at the end of the utterance it is tried again (the queue may
    have moved on); one that waited out its bound is not."""
    if not task.done() or task.cancelled():
        return False
    error = task.exception()
    return isinstance(error, SpeechShed) and not error.waited
