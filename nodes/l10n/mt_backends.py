"""Machine translation backends behind one small interface.

A backend translates a batch of strings from one locale to another and names itself for the
origin record ("mt:apertium"). Apertium runs offline from Debian packages; its language pairs are
*modes* named with ISO 639-3 codes (`apertium -u eng-spa`), listed in /usr/share/apertium/modes,
sometimes with a variant (`eng-cat_valencia`).
"""
from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from abc import ABC, abstractmethod
from pathlib import Path

from reelgraph.nodes.errors import NodeError
from reelgraph.nodes.l10n.locales import LocaleTag, iso639_3_codes, parse_locale

APERTIUM_MODE_DIRS = (Path("/usr/share/apertium/modes"), Path("/usr/local/share/apertium/modes"))
# One <p> per string: apertium's HTML deformatter keeps block boundaries, so a whole script goes
# through one process and each string comes back on its own, untouched by its neighbours.
_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.DOTALL)


class MachineTranslator(ABC):
    name: str

    @abstractmethod
    def translate(self, texts: list[str]) -> list[str]:
        """Translations of `texts`, in the same order."""


def installed_apertium_modes() -> set[str]:
    extra = [Path(p) for p in os.environ.get("APERTIUM_MODE_DIRS", "").split(os.pathsep) if p]
    modes: set[str] = set()
    for folder in (*extra, *APERTIUM_MODE_DIRS):
        if folder.is_dir():
            modes.update(path.stem for path in folder.glob("*.mode"))
    return modes


def apertium_mode_for(source: LocaleTag, target: LocaleTag, modes: set[str]) -> str | None:
    """The installed mode translating source -> target: 'en' -> 'ca-valencia' is eng-cat_valencia.

    A target variant or region picks a specialised mode when one exists, else the plain pair.
    """
    for source_code in iso639_3_codes(source.language):
        for target_code in iso639_3_codes(target.language):
            pair = f"{source_code}-{target_code}"
            for suffix in (target.variant, target.region):
                if suffix and f"{pair}_{suffix}" in modes:
                    return f"{pair}_{suffix}"
            if pair in modes:
                return pair
    return None


def _debian_package_name(source: LocaleTag, target: LocaleTag) -> str:
    codes = [(iso639_3_codes(tag.language) or (tag.language,))[0] for tag in (source, target)]
    return f"apertium-{codes[0]}-{codes[1]}"


class ApertiumTranslator(MachineTranslator):
    name = "apertium"

    def __init__(self, source: str, target: str, *, param: str = "backend") -> None:
        if shutil.which("apertium") is None:
            raise NodeError("apertium is not installed", param=param,
                            hint="apt-get install apertium and the language pair, e.g. apertium-eng-spa")
        source_tag, target_tag = parse_locale(source), parse_locale(target)
        self.mode = apertium_mode_for(source_tag, target_tag, installed_apertium_modes())
        if self.mode is None:
            package = _debian_package_name(source_tag, target_tag)
            raise NodeError(
                f"no apertium pair for {source} -> {target} is installed", param=param,
                code="missing_mt_pair",
                hint=f"apt-get install {package} (or its reverse name; `apt-cache search apertium` "
                     "lists the pairs), add catalog translations, or set backend: none")

    def translate(self, texts: list[str]) -> list[str]:
        if not texts:
            return []
        document = "".join(f"<p>{html.escape(text, quote=False)}</p>\n" for text in texts)
        # -u: leave unknown words as they are, without apertium's '*' marks.
        result = subprocess.run(["apertium", "-f", "html-noent", "-u", self.mode], input=document,
                                capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            raise NodeError(f"apertium {self.mode} failed: {result.stderr.strip()[:500]}")
        translated = [html.unescape(chunk).strip() for chunk in _PARAGRAPH.findall(result.stdout)]
        if len(translated) != len(texts):
            raise NodeError(f"apertium {self.mode} returned {len(translated)} strings for {len(texts)}",
                            hint="a string may contain markup apertium rewrote; report it with the script")
        return translated


def make_translator(backend: str, source: str, target: str) -> MachineTranslator | None:
    """The backend for a pair, or None for backend 'none'. Built lazily: only when MT is needed."""
    if backend == "none":
        return None
    if backend == "apertium":
        return ApertiumTranslator(source, target)
    raise NodeError(f"unknown machine translation backend '{backend}'", param="backend",
                    hint="use apertium or none")
