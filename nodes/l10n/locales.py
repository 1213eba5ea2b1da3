"""BCP 47 locale tags, as the localization nodes need them.

Tags arrive from graph matrices ("es", "ca-valencia", "pt_BR"); tools want other spellings:
apertium names pairs by ISO 639-3 codes ("eng-spa"), espeak-ng by its own voice names, catalogs
carry "es_ES" or "ar". Everything here is pure string work plus babel's CLDR data.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class LocaleTag:
    language: str           # lower-case ISO 639 code, e.g. "ca"
    region: str = ""        # upper-case region, e.g. "US"
    variant: str = ""       # lower-case variant, e.g. "valencia"

    @property
    def tag(self) -> str:
        return "-".join(part for part in (self.language, self.region, self.variant) if part)


def parse_locale(tag: str) -> LocaleTag:
    """Parse "es", "es-MX", "pt_BR", "ca-ES-valencia", "sr-Latn" loosely (scripts are dropped)."""
    parts = [part for part in tag.replace("_", "-").replace("@", "-").split("-") if part]
    if not parts or not parts[0].isalpha() or not 2 <= len(parts[0]) <= 3:
        raise ValueError(f"'{tag}' is not a BCP 47 language tag (expected e.g. 'es' or 'pt-BR')")
    language, region, variant = parts[0].lower(), "", ""
    for part in parts[1:]:
        if len(part) == 2 and part.isalpha() or len(part) == 3 and part.isdigit():
            region = part.upper()
        elif len(part) == 4 and part.isalpha():
            continue  # a script subtag (Latn, Cyrl): no tool here distinguishes it
        else:
            variant = part.lower()
    return LocaleTag(language, region, variant)


def same_language(a: str, b: str) -> bool:
    return parse_locale(a).language == parse_locale(b).language


@cache
def iso639_3_codes(language: str) -> tuple[str, ...]:
    """Three-letter codes for a two-letter language ("es" -> ("spa",)), from CLDR's aliases.

    Several may exist ("fr" -> "fra", "fre"): callers try each against what is installed.
    """
    from babel.core import get_global

    if len(language) == 3:
        return (language,)
    aliases = get_global("language_aliases")
    return tuple(sorted(code for code, target in aliases.items() if target == language and len(code) == 3))


@cache
def is_right_to_left(tag: str) -> bool:
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(parse_locale(tag).language).character_order == "right-to-left"
    except (UnknownLocaleError, ValueError):
        return False
