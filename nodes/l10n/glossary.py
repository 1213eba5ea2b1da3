"""Glossary and do-not-translate terms, kept out of machine translation's reach.

Before MT, each protected term is replaced by a placeholder token that the engine treats as an
unknown word and passes through unchanged (apertium with -u does); after MT the placeholder is
replaced by the glossary's translation, or by the term itself for do-not-translate terms. Terms
match whole words, case-insensitively, longest first ("cold brew coffee" before "coffee").
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from reelgraph.nodes.errors import NodeError
from reelgraph.nodes.l10n.locales import parse_locale

# Letters and digits only, so tokenisers keep it one word; unlikely in real copy.
PLACEHOLDER_PREFIX = "Zxq"
_PLACEHOLDER = re.compile(PLACEHOLDER_PREFIX + r"(\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class ProtectedTerm:
    term: str
    replacement: str | None  # None: keep the text as written (do-not-translate)


@dataclass
class ProtectedText:
    masked: str
    substitutions: list[str] = field(default_factory=list)  # placeholder n -> final text


def terms_for_locale(glossary: dict[str, dict[str, str]], do_not_translate: list[str],
                     target: str) -> list[ProtectedTerm]:
    """The terms to protect for `target`: glossary entries with a translation for it (exact tag
    first, then the bare language), plus every do-not-translate term."""
    wanted = parse_locale(target)
    terms: dict[str, ProtectedTerm] = {}
    for term, translations in glossary.items():
        by_tag = {parse_locale(tag).tag: text for tag, text in translations.items()}
        replacement = by_tag.get(wanted.tag, by_tag.get(wanted.language))
        if replacement is not None and term.strip():
            terms[term.casefold()] = ProtectedTerm(term, replacement)
    for term in do_not_translate:
        if term.strip():
            terms[term.casefold()] = ProtectedTerm(term, None)
    return sorted(terms.values(), key=lambda t: len(t.term), reverse=True)


def _terms_pattern(terms: list[ProtectedTerm]) -> re.Pattern:
    alternatives = "|".join(re.escape(t.term) for t in terms)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def protect(text: str, terms: list[ProtectedTerm]) -> ProtectedText:
    if not terms:
        return ProtectedText(text)
    by_key = {t.term.casefold(): t for t in terms}
    protected = ProtectedText(text)

    def mask(match: re.Match) -> str:
        term = by_key[match.group(0).casefold()]
        protected.substitutions.append(term.replacement if term.replacement is not None else match.group(0))
        return f"{PLACEHOLDER_PREFIX}{len(protected.substitutions) - 1}"

    protected.masked = _terms_pattern(terms).sub(mask, text)
    return protected


def restore(translated: str, protected: ProtectedText, *, source: str) -> str:
    if not protected.substitutions:
        return translated
    found: set[int] = set()

    def unmask(match: re.Match) -> str:
        index = int(match.group(1))
        if index >= len(protected.substitutions):
            return match.group(0)
        found.add(index)
        return protected.substitutions[index]

    restored = _PLACEHOLDER.sub(unmask, translated)
    if len(found) != len(protected.substitutions):
        raise NodeError(f"machine translation dropped a protected term from {source!r}",
                        param="glossary", hint="add an approved catalog translation for this string")
    return restored
