"""Text to speech behind one small interface, with an espeak-ng backend.

A synthesizer turns one line of text into mono 16-bit PCM. espeak-ng speaks a hundred languages
offline; its voice for a locale comes from `espeak-ng --voices=<locale>`, skipping MBROLA voices
(they need separately installed voice data that Debian does not ship with espeak-ng).
"""
from __future__ import annotations

import shutil
import subprocess
import wave
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reelgraph.nodes.errors import NodeError
from reelgraph.nodes.l10n.locales import parse_locale

if TYPE_CHECKING:  # annotations only; numpy is imported where a node runs, not when it is listed
    import numpy as np


@dataclass
class Speech:
    samples: np.ndarray   # int16, mono
    sample_rate: int

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate


def read_wav(path: Path) -> Speech:
    import numpy as np

    with wave.open(str(path), "rb") as wav:
        if wav.getsampwidth() != 2 or wav.getnchannels() != 1:
            raise NodeError(f"expected 16-bit mono speech, got {wav.getsampwidth() * 8}-bit "
                            f"with {wav.getnchannels()} channels")
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
        return Speech(samples, wav.getframerate())


class SpeechSynthesizer(ABC):
    name: str
    sample_rate: int

    @abstractmethod
    def speak(self, text: str) -> Speech:
        """One line of speech."""


def espeak_voices(locale: str) -> list[str]:
    """espeak-ng's voices for a locale, best first, as names `espeak-ng -v` accepts."""
    listing = subprocess.run(["espeak-ng", f"--voices={locale}"], capture_output=True, text=True,
                             timeout=30).stdout
    voices = []
    for row in listing.splitlines()[1:]:
        columns = row.split()
        if len(columns) >= 5 and not columns[4].startswith("mb/"):
            voices.append(columns[1])
    return voices


class EspeakNg(SpeechSynthesizer):
    name = "espeak-ng"
    sample_rate = 22050  # espeak-ng's own voices all synthesise at this rate

    def __init__(self, locale: str, *, scratch_path: Callable[[str], Path], voice: str = "",
                 words_per_minute: int = 160, pitch: int = 50) -> None:
        if shutil.which("espeak-ng") is None:
            raise NodeError("espeak-ng is not installed", code="missing_tool",
                            hint="apt-get install espeak-ng")
        self.voice = voice or self._voice_for(locale)
        self.words_per_minute = words_per_minute
        self.pitch = pitch
        self.scratch_path = scratch_path

    @staticmethod
    def _voice_for(locale: str) -> str:
        tag = parse_locale(locale)
        for query in dict.fromkeys([tag.tag.lower(), f"{tag.language}-{tag.region}".lower(), tag.language]):
            if voices := espeak_voices(query):
                return voices[0]
        raise NodeError(f"espeak-ng has no voice for '{locale}'", param="voice",
                        hint="`espeak-ng --voices` lists the voices; set 'voice' to one of them")

    def speak(self, text: str) -> Speech:
        if not text.strip():
            import numpy as np

            return Speech(np.zeros(0, dtype="<i2"), self.sample_rate)
        out = self.scratch_path(".wav")
        try:
            # Text on stdin, not argv: a line starting with '-' must not read as an option.
            result = subprocess.run(["espeak-ng", "-v", self.voice, "-s", str(self.words_per_minute),
                                     "-p", str(self.pitch), "-w", str(out), "--stdin"],
                                    input=text, capture_output=True, text=True, timeout=300)
            if result.returncode != 0 or not out.exists():
                raise NodeError(f"espeak-ng failed with voice '{self.voice}': {result.stderr.strip()[:300]}",
                                param="voice")
            return read_wav(out)
        finally:
            out.unlink(missing_ok=True)
