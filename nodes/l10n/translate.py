"""l10n.translate: a script into one locale, approved catalog translations first, then MT."""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from reelgraph.nodes.api import Node, NodeParams, file_param
from reelgraph.nodes.errors import NodeError
from reelgraph.nodes.l10n.catalogs import catalogs_for, check_catalog_names, load_catalog
from reelgraph.nodes.l10n.glossary import protect, restore, terms_for_locale
from reelgraph.nodes.l10n.locales import parse_locale, same_language
from reelgraph.nodes.l10n.mt_backends import make_translator
from reelgraph.nodes.l10n.script import (TRANSLATABLE_FIELDS, load_script_file, map_leaves, parse_script,
                                          string_leaves)
from reelgraph.nodes.ports import Input, Output, PortKind


class Translate(Node):
    """Translate a script (or JSON strings) into a locale. Approved catalog translations win;
    the rest goes through machine translation with glossary and do-not-translate terms protected.
    Every string records where its translation came from."""

    type = "l10n.translate"
    version = 1
    title = "Translate script"
    category = "l10n"
    inputs = {"strings": Input(PortKind.JSON, "Strings to translate instead of a script file: any JSON "
                                              "value; every string in it is translated", optional=True)}
    outputs = {"script": Output(PortKind.JSON, "The translated script document: the same structure, "
                                               "strings translated, with each string's origin")}

    class Params(NodeParams):
        script: str = file_param("", description="Script YAML (scenes with narration and on-screen "
                                                 "text); leave empty to translate the 'strings' input")
        target: str = Field(min_length=2, max_length=35,
                            description='Locale to translate into (BCP 47, e.g. es, ca-valencia, ar), '
                                        'usually "${locale}"')
        source: str = Field("en", min_length=2, max_length=35, description="Locale of the source text")
        catalogs: list[str] = file_param(default_factory=list,
                                         description="PO / XLIFF / JSON catalogs; those for the target "
                                                     "language are used, earlier ones first")
        backend: Literal["apertium", "none"] = Field(
            "apertium", description="Machine translation for strings no catalog has; none leaves them as is")
        glossary: dict[str, dict[str, str]] = Field(
            default_factory=dict, description="Term -> {locale: translation}, imposed on machine translation")
        do_not_translate: list[str] = Field(default_factory=list,
                                            description="Terms kept as written (brands, product names)")
        require_approved: bool = Field(False, description="Fail unless every string has an approved "
                                                          "catalog translation (no MT for release)")

        @field_validator("catalogs")
        @classmethod
        def _named(cls, value: list[str]) -> list[str]:
            if any(not path.strip() for path in value):  # an empty path would name the workspace itself
                raise ValueError("a catalog path is empty; remove it or name a PO / XLIFF / JSON file")
            return value

        @field_validator("target", "source")
        @classmethod
        def _bcp47(cls, value: str) -> str:
            parse_locale(value)  # raises ValueError, which pydantic reports against the param
            return value

    def run(self, ctx, params, *, strings=None):
        content, paths_and_texts, is_script = self._content(ctx, strings, params)
        target = parse_locale(params.target).tag
        sources = list(dict.fromkeys(text for _, text in paths_and_texts if text.strip()))  # document order
        translated = self._translate(ctx, sources, params, target)
        strings = []
        for path, text in paths_and_texts:
            translation, origin = translated.get(text, (text, "source"))  # blank strings stay blank
            strings.append({"path": path, "source": text, "translation": translation, "origin": origin})
        replaced = {s["path"]: s["translation"] for s in strings}
        result = map_leaves(content, lambda path, text: replaced.get(path, text))
        if is_script:
            result["language"] = target
        return {"script": {"language": target, "source_language": parse_locale(params.source).tag,
                           "script": result, "strings": strings}}

    def _content(self, ctx, given, params):
        if params.script and given is not None:
            raise NodeError("both a script file and a 'strings' input are given", param="script",
                            hint="translate one of them per node")
        if params.script or (isinstance(given, dict) and "scenes" in given):
            # A script file, or a script given as JSON (a storyboard's narration): only its words
            # are translated, never its scene ids, and its language becomes the target's.
            script = (load_script_file(ctx.resolve_path(params.script, param="script")) if params.script
                      else parse_script(given, port="strings"))
            if not same_language(script.language, params.source):
                raise NodeError(f"the script says its language is '{script.language}' but source is "
                                f"'{params.source}'", param="source", hint="make them agree")
            content = script.model_dump(mode="json")
            return content, list(string_leaves(content, only_fields=TRANSLATABLE_FIELDS)), True
        if given is None:
            raise NodeError("nothing to translate", param="script",
                            hint="set 'script' to a script YAML file, or connect the 'strings' input")
        return given, list(string_leaves(given)), False

    @classmethod
    def key_files(cls, params, workspace):
        """The script and only the catalogs that serve the target language: editing the Spanish
        catalog re-runs the Spanish branch and no other."""
        files = super().key_files(params, workspace)
        paths = [files[f"catalogs.{i}"] for i in range(len(params.catalogs))]
        catalogs = [load_catalog(real, path, param=f"catalogs[{i}]")
                    for i, (real, path) in enumerate(zip(paths, params.catalogs, strict=True))]
        check_catalog_names(catalogs, [Path(path) for path in params.catalogs], params.target)  # as written
        serving = {id(catalog) for catalog in catalogs_for(catalogs, params.target)}
        return {label: path for label, path in files.items()
                if not label.startswith("catalogs.") or id(catalogs[int(label.split(".")[1])]) in serving}

    def _translate(self, ctx, sources: list[str], params, target: str) -> dict[str, tuple[str, str]]:
        """source text -> (translation, origin) for every distinct source string."""
        if parse_locale(target) == parse_locale(params.source):
            return {text: (text, "source") for text in sources}
        catalogs = [load_catalog(ctx.resolve_path(path, param=f"catalogs[{i}]"), path, param=f"catalogs[{i}]")
                    for i, path in enumerate(params.catalogs)]
        usable = catalogs_for(catalogs, target)
        result: dict[str, tuple[str, str]] = {}
        for text in sources:
            for catalog in usable:
                if (translation := catalog.translation(text)) is not None:
                    result[text] = (translation, f"catalog:{catalog.name}")
                    break
        missing = [text for text in sources if text not in result]
        ctx.progress(len(result), len(sources), "catalog translations")
        if not missing:
            return result
        if same_language(target, params.source):  # en -> en-GB: what no catalog adapts stays as is
            return result | {text: (text, "source") for text in missing}
        if params.require_approved:
            more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
            raise NodeError(f"no approved translation into '{target}' for {missing[0]!r}{more}",
                            param="catalogs", code="missing_approved_translation",
                            hint=f"add approved '{target}' translations to a catalog, or turn off "
                                 "require_approved to allow machine translation")
        translator = make_translator(params.backend, params.source, target)
        if translator is None:
            return result | {text: (text, "untranslated") for text in missing}
        terms = terms_for_locale(params.glossary, params.do_not_translate, target)
        protected = [protect(text, terms) for text in missing]
        machine = translator.translate([p.masked for p in protected])
        for text, masked, output in zip(missing, protected, machine, strict=True):
            result[text] = (restore(output, masked, source=text), f"mt:{translator.name}")
        ctx.progress(len(sources), len(sources), f"machine translated {len(missing)} strings")
        return result
