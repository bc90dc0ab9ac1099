"""Speaker verification port (consent-gated enrolment, verify, delete) and an embedded MFCC implementation.

Azure: Microsoft retired Speaker Recognition on 30 September 2025 and removed it from the Speech SDK in
1.47; the Python Speech SDK never had VoiceProfileClient (C#, C++, Java and JavaScript only). So there
is no Azure adapter to build; `docs/deployment.md` says so. The embedded verifier below is a real,
small text-independent model (a Gaussian over MFCC frames, scored by symmetric KL divergence): good
enough to demonstrate the flow and as a second factor next to a PIN, never as the only factor.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import shutil
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import numpy as np

SAMPLE_RATE = 16_000
MIN_SPEECH_SECONDS = 1.0
_CUSTOMER_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class SpeakerIdError(Exception):
    """Base of the speaker-verification errors."""


class ConsentRequired(SpeakerIdError):
    """Enrolment attempted without an explicit, recorded consent."""


class ProfileNotFound(SpeakerIdError):
    """No voice profile for this customer."""


class InsufficientAudio(SpeakerIdError):
    """Too little voiced audio to build or check a voiceprint."""


@dataclass(frozen=True)
class ConsentRecord:
    """Proof of the caller's explicit consent, kept with the profile: who, when, in which call, to what."""

    customer_id: str
    call_id: str
    granted: bool
    prompt_key: str  # the catalogue key of the consent question the caller answered
    answer: str  # the caller's redacted answer ("yes", "sí", DTMF "1")
    recording_ref: str = ""  # where the consent exchange is recorded, if it was
    granted_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))


@dataclass(frozen=True)
class VerificationResult:
    accepted: bool
    score: float
    threshold: float


class SpeakerVerification(Protocol):
    """Voice biometrics behind consent. Audio is 16 kHz 16-bit mono PCM."""

    async def enroll(self, customer_id: str, pcm: bytes, consent: ConsentRecord) -> int:
        """Add an utterance to the customer's profile; returns the number of enrolled utterances."""
        ...

    async def verify(self, customer_id: str, pcm: bytes) -> VerificationResult: ...

    async def delete_profile(self, customer_id: str) -> bool:
        """Remove the profile; True if one existed."""
        ...

    async def has_profile(self, customer_id: str) -> bool: ...


def check_customer_id(customer_id: str) -> str:
    """Customer ids become directory names: allow letters, digits, '-' and '_' only."""
    if not _CUSTOMER_ID.match(customer_id):
        raise ValueError("customer id must be 1-64 characters of A-Z, a-z, 0-9, '-', '_'")
    return customer_id


def _mel_filterbank(n_filters: int, n_fft: int, rate: int) -> np.ndarray:
    def hz_to_mel(hz: np.ndarray | float) -> np.ndarray | float:
        return 2595.0 * np.log10(1.0 + np.asarray(hz) / 700.0)

    mels = np.linspace(hz_to_mel(60.0), hz_to_mel(rate / 2 - 200), n_filters + 2)
    hz = 700.0 * (10 ** (mels / 2595.0) - 1.0)
    bins = np.floor((n_fft + 1) * hz / rate).astype(int)
    bank = np.zeros((n_filters, n_fft // 2 + 1))
    for i in range(n_filters):
        lo, mid, hi = bins[i], bins[i + 1], bins[i + 2]
        bank[i, lo:mid] = (np.arange(lo, mid) - lo) / max(1, mid - lo)
        bank[i, mid:hi] = (hi - np.arange(mid, hi)) / max(1, hi - mid)
    return bank


_N_FFT, _FRAME, _HOP, _N_MELS, _N_CEPS = 512, 400, 160, 26, 20
_BANK = _mel_filterbank(_N_MELS, _N_FFT, SAMPLE_RATE)
_DCT = np.cos(np.pi / _N_MELS * (np.arange(_N_MELS) + 0.5)[None, :] * np.arange(_N_CEPS)[:, None])
_WINDOW = np.hamming(_FRAME)


def mfcc(pcm: bytes) -> np.ndarray:
    """MFCCs (frames x 19, c0 dropped) of the voiced frames of 16 kHz 16-bit mono PCM."""
    signal = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
    if signal.size < _FRAME:
        raise InsufficientAudio("audio shorter than one frame")
    signal = np.append(signal[0], signal[1:] - 0.97 * signal[:-1])
    n_frames = 1 + (signal.size - _FRAME) // _HOP
    idx = np.arange(_FRAME)[None, :] + _HOP * np.arange(n_frames)[:, None]
    frames = signal[idx] * _WINDOW
    energy = (frames**2).mean(axis=1)
    voiced = energy > max(1e-7, 0.05 * np.percentile(energy, 95))
    frames = frames[voiced]
    if frames.shape[0] * _HOP / SAMPLE_RATE < MIN_SPEECH_SECONDS:
        raise InsufficientAudio(f"need at least {MIN_SPEECH_SECONDS:g} s of speech")
    power = np.abs(np.fft.rfft(frames, _N_FFT)) ** 2 / _N_FFT
    log_mel = np.log(np.maximum(power @ _BANK.T, 1e-10))
    return (log_mel @ _DCT.T)[:, 1:]


@dataclass(frozen=True)
class Voiceprint:
    """A diagonal Gaussian over the MFCC frames of one or more utterances."""

    mean: np.ndarray
    var: np.ndarray
    frames: int

    @classmethod
    def of(cls, pcm: bytes) -> Voiceprint:
        feats = mfcc(pcm)
        return cls(feats.mean(axis=0), feats.var(axis=0) + 1e-3, feats.shape[0])

    def merge(self, other: Voiceprint) -> Voiceprint:
        """The pooled Gaussian of both sets of frames."""
        n = self.frames + other.frames
        mean = (self.mean * self.frames + other.mean * other.frames) / n
        second = ((self.var + self.mean**2) * self.frames + (other.var + other.mean**2) * other.frames) / n
        return Voiceprint(mean, np.maximum(second - mean**2, 1e-3), n)

    def divergence(self, other: Voiceprint) -> float:
        """Symmetric Kullback-Leibler divergence per dimension (0 = identical)."""
        v1, v2, d2 = self.var, other.var, (self.mean - other.mean) ** 2
        return float(0.5 * np.mean(v1 / v2 + v2 / v1 - 2 + d2 * (1 / v1 + 1 / v2)))

    def to_json(self) -> dict:
        return {"mean": self.mean.round(5).tolist(), "var": self.var.round(5).tolist(), "frames": self.frames}

    @classmethod
    def from_json(cls, data: dict) -> Voiceprint:
        return cls(np.array(data["mean"]), np.array(data["var"]), int(data["frames"]))


class EmbeddedSpeakerVerification:
    """Profiles as JSON under `<data_dir>/voiceprints/<customer id>/profile.json` (the erasure path).

    Score = exp(-divergence) between the enrolled and the probe voiceprint; accepted at >= threshold.
    """

    def __init__(self, data_dir: Path, threshold: float = 0.78) -> None:
        self.root = Path(data_dir) / "voiceprints"
        self.threshold = threshold

    def _profile_path(self, customer_id: str) -> Path:
        return self.root / check_customer_id(customer_id) / "profile.json"

    def _load(self, customer_id: str) -> dict | None:
        path = self._profile_path(customer_id)
        return json.loads(path.read_text()) if path.exists() else None

    async def enroll(self, customer_id: str, pcm: bytes, consent: ConsentRecord) -> int:
        if not consent.granted or consent.customer_id != customer_id or not consent.call_id:
            raise ConsentRequired("voice enrolment needs the customer's explicit, recorded consent")
        print_ = await asyncio.to_thread(Voiceprint.of, pcm)
        profile = self._load(customer_id) or {"customer_id": customer_id, "utterances": 0, "consents": []}
        if profile.get("voiceprint"):
            print_ = Voiceprint.from_json(profile["voiceprint"]).merge(print_)
        profile["voiceprint"] = print_.to_json()
        profile["utterances"] += 1
        profile["consents"].append(asdict(consent))
        path = self._profile_path(customer_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(profile))
        tmp.replace(path)
        return int(profile["utterances"])

    async def verify(self, customer_id: str, pcm: bytes) -> VerificationResult:
        profile = self._load(customer_id)
        if not profile or not profile.get("voiceprint"):
            raise ProfileNotFound(customer_id)
        probe = await asyncio.to_thread(Voiceprint.of, pcm)
        score = math.exp(-Voiceprint.from_json(profile["voiceprint"]).divergence(probe))
        return VerificationResult(score >= self.threshold, round(score, 4), self.threshold)

    async def delete_profile(self, customer_id: str) -> bool:
        folder = self.root / check_customer_id(customer_id)
        if not folder.exists():
            return False
        await asyncio.to_thread(shutil.rmtree, folder)
        return True

    async def has_profile(self, customer_id: str) -> bool:
        return self._profile_path(customer_id).exists()
