"""Choosing fonts that have the glyphs of a caption, script by script.

No single font covers every script: Noto ships one family per script (Noto Sans Arabic, Noto
Sans Hebrew, Noto Sans Devanagari...), and those often lack Latin letters, digits or even the
full stop. So a font is chosen per character: the font already in use when it has the glyph
(keeps runs long, so shaping sees whole words), else the script's Noto font, else the base
fonts. Coverage is read from each font's cmap with fontTools, once per file.
"""
from __future__ import annotations

import os
import unicodedata
from functools import cache
from pathlib import Path

from reelgraph.nodes.errors import NodeError

FONT_DIRS = (Path("/usr/share/fonts/truetype/noto"), Path("/usr/share/fonts/opentype/noto"),
             Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts"))
BASE_FONTS = ("NotoSans-{weight}.ttf", "DejaVuSans{dejavu_weight}.ttf")
# Symbols and emoji belong to no script. Captions are drawn with outline fonts: Noto's symbol
# fonts (fonts-noto-core) have some (☕ ★ ❤ 👍), Symbola (fonts-symbola) nearly all emoji. Colour
# emoji fonts (fonts-noto-color-emoji) are fixed-size bitmaps, which the caption renderer does
# not draw, so naming that package would not help.
SYMBOL_FONTS = ("NotoSansSymbols2-Regular.ttf", "NotoSansSymbols-{weight}.ttf", "NotoSansMath-Regular.ttf",
                "Symbola.ttf", "Symbola_hint.ttf")
# Scripts whose Noto family is not simply "NotoSans<Script>".
SCRIPT_FONTS = {
    "LATIN": ("NotoSans-{weight}.ttf",),
    "GREEK": ("NotoSans-{weight}.ttf",),
    "CYRILLIC": ("NotoSans-{weight}.ttf",),
    "ARABIC": ("NotoSansArabic-{weight}.ttf", "NotoNaskhArabic-{weight}.ttf"),
    **{script: ("NotoSansCJK-{weight}.ttc",) for script in ("CJK", "HIRAGANA", "KATAKANA", "HANGUL")},
}


def _font_dirs() -> tuple[Path, ...]:
    extra = tuple(Path(p) for p in os.environ.get("REELGRAPH_FONT_DIRS", "").split(os.pathsep) if p)
    return extra + FONT_DIRS


@cache
def installed_fonts() -> dict[str, Path]:
    """File name -> path of every TrueType/OpenType font in the font folders (first one wins)."""
    fonts: dict[str, Path] = {}
    for folder in _font_dirs():
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                if path.suffix.lower() in (".ttf", ".otf", ".ttc"):
                    fonts.setdefault(path.name, path)
    return fonts


@cache
def font_coverage(path: Path) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(path, lazy=True, fontNumber=0) as font:
        return frozenset(font.getBestCmap() or {})


def script_of(char: str) -> str | None:
    """The Unicode script of a letter or mark ('ARABIC', 'LATIN'...); None for spaces, digits and
    punctuation, which belong to whatever text surrounds them."""
    if unicodedata.category(char)[0] not in "LM":
        return None
    name = unicodedata.name(char, "")
    return name.split(" ")[0] if name else None


def is_symbol(char: str) -> bool:
    """Emoji and other pictographs (and their modifiers): symbols, not letters of a script."""
    return unicodedata.category(char) in ("So", "Sk", "Sm") or 0x1F000 <= ord(char) <= 0x1FAFF


class FontChooser:
    def __init__(self, *, user_font: Path | None = None, bold: bool = True) -> None:
        self.user_font = user_font
        self.weight = "Bold" if bold else "Regular"
        self._dejavu_weight = "-Bold" if bold else ""

    def _named(self, patterns: tuple[str, ...]) -> list[Path]:
        fonts = installed_fonts()
        names = []
        for pattern in patterns:
            for weight, dejavu in ((self.weight, self._dejavu_weight), ("Regular", "")):
                names.append(pattern.format(weight=weight, dejavu_weight=dejavu))
        return [fonts[name] for name in dict.fromkeys(names) if name in fonts]

    def candidates(self, script: str | None) -> list[Path]:
        scripted: list[Path] = []
        if script:
            family = "".join(part.title() for part in script.split("_"))
            scripted = self._named(SCRIPT_FONTS.get(script, (f"NotoSans{family}-{{weight}}.ttf",)))
        user = [self.user_font] if self.user_font else []
        symbols = self._named(SYMBOL_FONTS) if script is None else []
        return user + scripted + self._named(BASE_FONTS) + symbols

    def font_for(self, char: str, current: Path | None) -> Path | None:
        code = ord(char)
        if current is not None and code in font_coverage(current):
            return current
        for path in self.candidates(script_of(char)):
            if code in font_coverage(path):
                return path
        return None

    def check_covers(self, text: str, *, port: str | None = None) -> None:
        # Format characters (ZWJ, direction marks) have no glyph of their own.
        visible = {char for char in text
                   if not char.isspace() and unicodedata.category(char) not in ("Cf", "Cc")}
        missing = sorted(char for char in visible if self.font_for(char, None) is None)
        if missing:
            shown = " ".join(f"{char} (U+{ord(char):04X})" for char in missing[:5])
            if all(is_symbol(char) for char in missing):
                raise NodeError(f"no installed outline font has the emoji or symbols {shown}", port=port,
                                code="missing_font",
                                hint="apt-get install fonts-symbola (outline emoji, used automatically; "
                                     "colour emoji fonts such as fonts-noto-color-emoji are bitmaps captions "
                                     "cannot draw), or remove them from the text")
            raise NodeError(f"no installed font has the glyphs {shown}", port=port, code="missing_font",
                            hint="apt-get install fonts-noto-core (fonts-noto-cjk for Chinese, Japanese "
                                 "and Korean), or set 'font' to a font file that has them")
