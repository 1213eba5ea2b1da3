"""Translation catalogs: gettext PO, XLIFF 1.2 / 2.0 and plain JSON, reduced to approved units.

Only reviewed work counts as a catalog translation:
  PO        entries that are translated and not `#, fuzzy` (obsolete `#~` entries are ignored);
  XLIFF 1.2 trans-units with approved="yes", or whose <target> state is final or signed-off;
  XLIFF 2.0 segments whose state is final;
  JSON      {"language": "es", "messages": {"source": "translation"
                                             | {"translation": "...", "approved": false}}}:
            a plain string is approved (the file is a reviewed deliverable); an object may say not.
Units are looked up by their source text (whitespace-normalised), as gettext does.

A catalog's language comes from its metadata (PO `Language:` header, XLIFF target-language /
trgLang, JSON "language"), else from its file name (`es.po`, `campaign.ar.xlf`, `es/messages.po`).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from reelgraph.nodes.errors import NodeError
from reelgraph.nodes.l10n.locales import parse_locale

XLIFF_1_APPROVED_STATES = frozenset({"final", "signed-off"})
XLIFF_2_APPROVED_STATES = frozenset({"final"})


def normalise_source(text: str) -> str:
    return " ".join(text.split())


@dataclass
class Catalog:
    name: str                      # as the user wrote it: it appears in origins ("catalog:es.po")
    language: str
    approved: dict[str, str] = field(default_factory=dict)   # normalised source -> translation
    unapproved: set[str] = field(default_factory=set)         # sources with only unreviewed work

    def translation(self, source: str) -> str | None:
        return self.approved.get(normalise_source(source))


PO_KEYWORD = re.compile(r'^(msgctxt|msgid|msgid_plural|msgstr(\[\d+\])?)?\s*("(?:[^"\\]|\\.)*")?$')


def _po_syntax_error(path: Path) -> str | None:
    """The first line that is not a comment, a keyword with one quoted string, or a continued
    string. Babel reads past such lines (an unterminated "Hello as 'Hell'), so check first."""
    for number, line in enumerate(  # the syntax is ASCII; babel decodes with the declared charset
            path.read_bytes().decode("utf-8", errors="replace").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = PO_KEYWORD.match(line)
        if match is None or match.group(3) is None:
            return f"line {number} is not PO syntax: {line[:60]!r}"
    return None


def _po_units(path: Path) -> tuple[str | None, list[tuple[str, str, bool]]]:
    from babel.messages.pofile import read_po

    if (problem := _po_syntax_error(path)) is not None:
        raise ValueError(problem)
    with path.open("rb") as handle:
        catalog = read_po(handle, abort_invalid=True)  # otherwise a broken entry is skipped silently
    units = []
    for message in catalog:
        if not message.id or isinstance(message.id, (tuple, list)):
            continue  # the header, or a plural entry (scripts have no plural forms)
        translation = message.string if isinstance(message.string, str) else ""
        units.append((message.id, translation, bool(translation) and not message.fuzzy))
    if not units:
        raise ValueError("it holds no messages")
    return catalog.locale_identifier, units


def _xliff_version(data: bytes) -> str:
    from lxml import etree

    root = etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    if etree.QName(root).localname != "xliff":
        raise ValueError("the root element is not <xliff>")
    return root.get("version", "1.2")


def _xliff_units(path: Path) -> tuple[str | None, list[tuple[str, str, bool]]]:
    data = path.read_bytes()
    units = []
    if _xliff_version(data).startswith("2"):
        from translate.storage.xliff2 import Xliff2File

        store = Xliff2File.parsestring(data)
        for unit in store.units:
            state = unit.xmlelement.get("state")
            units.append((str(unit.source or ""), str(unit.target or ""),
                          bool(unit.target) and state in XLIFF_2_APPROVED_STATES))
    else:
        from translate.storage.xliff import Xliff1File

        store = Xliff1File.parsestring(data)
        for unit in store.units:
            target_node = unit.getlanguageNode(lang=None, index=1)
            state = target_node.get("state") if target_node is not None else None
            approved = unit.isapproved() or state in XLIFF_1_APPROVED_STATES
            units.append((str(unit.source or ""), str(unit.target or ""), bool(unit.target) and approved))
    return store.gettargetlanguage(), units


def _json_units(path: Path) -> tuple[str | None, list[tuple[str, str, bool]]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("messages"), dict):
        raise ValueError('expected {"language": "es", "messages": {"source text": "translation"}}')
    units = []
    for source, value in data["messages"].items():
        if isinstance(value, str):
            units.append((source, value, bool(value)))
        elif isinstance(value, dict) and isinstance(value.get("translation"), str):
            translation = value["translation"]
            units.append((source, translation, bool(translation) and value.get("approved", True)))
        else:
            raise ValueError(f"message {source!r} must be a string or {{\"translation\": ...}}")
    return data.get("language"), units


READERS = {".po": _po_units, ".xlf": _xliff_units, ".xliff": _xliff_units, ".json": _json_units}


def language_from_file_name(path: Path) -> str | None:
    """'es.po' -> es, 'campaign.ar.xlf' -> ar, 'es/LC_MESSAGES/app.po' -> es."""
    candidates = [path.stem, path.stem.rsplit(".", 1)[-1]]
    candidates += [parent.name for parent in path.parents if parent.name != "LC_MESSAGES"][:2]
    for candidate in candidates:
        try:
            parsed = parse_locale(candidate)
        except ValueError:
            continue
        if len(parsed.language) == 2 and len(candidate) <= 12:
            return parsed.tag
    return None


def load_catalog(path: Path, name: str, *, param: str) -> Catalog:
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise NodeError(f"'{name}' is not a catalog format reelgraph reads", param=param,
                        hint="use gettext .po, XLIFF .xlf/.xliff (1.2 or 2.0) or .json")
    try:
        declared, units = reader(path)
    except FileNotFoundError:
        raise NodeError(f"no catalog file at '{name}'", param=param,
                        hint="check the path; it is relative to the graph document") from None
    except Exception as error:  # each format's parser has its own exception types
        raise NodeError(f"cannot read catalog '{name}': {error}", param=param) from None
    language = declared or language_from_file_name(path)
    if not language:
        raise NodeError(f"cannot tell which language catalog '{name}' is for", param=param,
                        hint="set its Language header / target-language / \"language\", or name "
                             "the file after the language, e.g. es.po")
    catalog = Catalog(name=name, language=parse_locale(language).tag)
    for source, translation, approved in units:
        key = normalise_source(source)
        if approved:
            catalog.approved.setdefault(key, translation)
        elif key not in catalog.approved:
            catalog.unapproved.add(key)
    catalog.unapproved -= catalog.approved.keys()
    return catalog


def check_catalog_names(catalogs: list[Catalog], paths: list[Path], target: str) -> None:
    """A catalog named for a language (`fr.po`, `fr/messages.po`, `campaign.fr.xlf`) must be for
    that language: `catalogs: [l10n/${locale}.po]` whose fr.po says `Language: es` would
    otherwise be ignored by the fr branch, which then ships machine translation without a word."""
    from babel import localedata

    for index, (catalog, path) in enumerate(zip(catalogs, paths, strict=True)):
        named = language_from_file_name(path)
        if named and not localedata.exists(parse_locale(named).language):
            continue  # 'ui.po' names no language
        if named and parse_locale(named).language != parse_locale(catalog.language).language:
            raise NodeError(f"catalog '{catalog.name}' is for '{catalog.language}', but its name says "
                            f"'{named}' (this branch translates into '{target}')", param=f"catalogs[{index}]",
                            code="catalog_language_mismatch",
                            hint="fix its Language header / target-language, or list the right file")


def catalogs_for(catalogs: list[Catalog], target: str) -> list[Catalog]:
    """The catalogs that serve `target`, most specific first (es-MX: es-MX, then es, then es-ES).

    Ties keep the order the user listed them in, so an earlier catalog wins.
    """
    wanted = parse_locale(target)

    def rank(catalog: Catalog) -> int | None:
        have = parse_locale(catalog.language)
        if have.language != wanted.language:
            return None
        if have == wanted:
            return 0
        return 1 if not have.region and not have.variant else 2

    ranked = [(rank(catalog), index, catalog) for index, catalog in enumerate(catalogs)]
    return [catalog for score, _, catalog in sorted((r for r in ranked if r[0] is not None),
                                                    key=lambda r: (r[0], r[1]))]
