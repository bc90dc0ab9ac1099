"""English streaming recognition on pocketsphinx with a domain LM built from the CLU utterances."""

from __future__ import annotations

import os
import re
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path

import pocketsphinx
from pocketsphinx.lm import ArpaBoLM

from services.speech.base import SAMPLE_RATE

_ALT = re.compile(r"\(\d+\)$")
_POOL = 64  # decoders kept for reuse, ~7 MB each


def _cmudict_path() -> Path:
    return Path(pocketsphinx.get_model_path()) / "en-us" / "cmudict-en-us.dict"


class SphinxModel:
    """The domain LM and trimmed dictionary, plus a pool of decoders (one per open stream)."""

    def __init__(self, phrases: Iterable[str], work_dir: Path, language_weight: float = 10.0) -> None:
        work_dir.mkdir(parents=True, exist_ok=True)
        lines = [p for p in (" ".join(p.split()) for p in phrases) if p]
        words = {w for line in lines for w in line.split()}
        dict_lines = []
        known: set[str] = set()
        with open(_cmudict_path(), encoding="utf-8") as fh:
            for line in fh:
                head = _ALT.sub("", line.split(" ", 1)[0])
                if head in words:
                    dict_lines.append(line)
                    known.add(head)
        self.oov = sorted(words - known)
        # Sentences with words the dictionary cannot pronounce would put unknown words in the LM.
        corpus = [line for line in lines if all(w in known for w in line.split())]
        if not corpus:
            raise ValueError("no domain phrase is pronounceable with the en-us dictionary")
        lm = ArpaBoLM(text="\n".join(corpus), add_start=True)
        lm.compute()
        fd, arpa = tempfile.mkstemp(prefix="domain-", suffix=".arpa", dir=work_dir)
        os.close(fd)
        fd, dic = tempfile.mkstemp(prefix="domain-", suffix=".dict", dir=work_dir)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.writelines(dict_lines)
        lm.write_file(arpa)
        self.lm_path, self.dict_path = Path(arpa), Path(dic)
        self.vocabulary_size = len(known)
        self.sentences = len(corpus)
        self._lw = language_weight
        self._pool: list[pocketsphinx.Decoder] = []
        self._lock = threading.Lock()
        self._cmn = ""

    def acquire(self) -> pocketsphinx.Decoder:
        with self._lock:
            decoder = self._pool.pop() if self._pool else None
            cmn = self._cmn
        decoder = decoder or self._new_decoder()
        if cmn:
            # Start from the cepstral mean the last utterance ended with: the live CMN converges in
            # seconds, and a cold start cost 0.26 vs 0.15 WER on the bench set (first words lost).
            decoder.set_cmn(cmn)
        return decoder

    def _new_decoder(self) -> pocketsphinx.Decoder:
        return pocketsphinx.Decoder(
            lm=str(self.lm_path),
            dict=str(self.dict_path),
            samprate=SAMPLE_RATE,
            lw=self._lw,
            dither=True,  # digital silence (TTS, padded test audio) otherwise derails the live CMN
            # No second pass at end_utt: on the bench set WER 0.153 -> 0.145 and the final result
            # comes 20 ms after end of speech instead of ~390 ms (fwdflat re-searches the utterance).
            fwdflat=False,
            bestpath=False,
            loglevel="FATAL",
        )

    def prepare(self, decoders: int) -> None:
        """Fill the pool up to ``decoders`` now: a decoder takes ~50 ms to build holding the GIL (which
        stalls the event loop), and a dozen callers starting at once would each build one."""
        with self._lock:
            missing = min(decoders, _POOL) - len(self._pool)
        built = [self._new_decoder() for _ in range(missing)]
        with self._lock:
            self._pool.extend(built)

    def release(self, decoder: pocketsphinx.Decoder) -> None:
        cmn = decoder.get_cmn()
        with self._lock:
            self._cmn = cmn
            if len(self._pool) < _POOL:
                self._pool.append(decoder)

    def close(self) -> None:
        with self._lock:
            self._pool.clear()
        for path in (self.lm_path, self.dict_path):
            path.unlink(missing_ok=True)


class SphinxUtterance:
    """One utterance on a pooled decoder; a lock makes process/finish/close safe from any thread."""

    def __init__(self, model: SphinxModel) -> None:
        self._model = model
        self._decoder: pocketsphinx.Decoder | None = model.acquire()
        self._decoder.start_utt()
        self._ended = False
        self.samples = 0
        # Calls arrive from worker threads; a hang-up may close while a chunk is still decoding.
        self._guard = threading.Lock()

    def process(self, pcm: bytes) -> str:
        """Feed audio; return the current partial hypothesis ('' when none, or once closed)."""
        with self._guard:
            if self._decoder is None:
                return ""
            self._decoder.process_raw(pcm, False, False)
            self.samples += len(pcm) // 2
            hyp = self._decoder.hyp()
            return hyp.hypstr if hyp else ""

    def finish(self) -> tuple[str, int, int, float]:
        """End the utterance: text, first word start ms, last word end ms, confidence 0..1."""
        with self._guard:
            decoder = self._decoder
            if decoder is None:
                return "", 0, 0, 0.0
            decoder.end_utt()
            self._ended = True
            hyp = decoder.hyp()
            text = hyp.hypstr if hyp else ""
            words = [s for s in decoder.seg() if not s.word.startswith(("<", "[")) and s.word != "<sil>"]
            start = words[0].start_frame * 10 if words else 0
            end = (words[-1].end_frame + 1) * 10 if words else 0
            # Posterior probability is only computed with lattice rescoring (off: it costs latency).
            confidence = min(1.0, decoder.get_logmath().exp(hyp.prob)) if hyp and hyp.prob < 0 else 0.0
        self.close()
        return text, start, end, confidence

    def close(self) -> None:
        with self._guard:
            decoder, self._decoder = self._decoder, None
            if decoder is None:
                return
            if not self._ended:
                decoder.end_utt()
        self._model.release(decoder)
