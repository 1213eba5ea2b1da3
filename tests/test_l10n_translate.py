"""l10n.translate: catalogs, apertium, glossary, approval rules, and what it says when it cannot."""
from __future__ import annotations

import textwrap

import pytest

from reelgraph.nodes.errors import NodeError

SCRIPT = """\
title: Morning coffee
language: en
scenes:
  - id: intro
    narration: ["The house is big."]
    on_screen: Reelgraph Coffee
  - id: outro
    narration: ["Visit our shop today."]
    duration: 2
"""


def write(harness, name: str, text: str) -> str:
    (harness.workspace.root / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return name


def translations(output: dict) -> dict[str, tuple[str, str]]:
    return {s["source"]: (s["translation"], s["origin"]) for s in output["script"]["strings"]}


@pytest.fixture
def script(harness) -> str:
    return write(harness, "script.yaml", SCRIPT)


def test_apertium_translates_a_known_sentence_into_spanish(harness, script):
    out = harness.run("l10n.translate", {"script": script, "target": "es"})
    translation, origin = translations(out)["The house is big."]
    assert origin == "mt:apertium"
    assert translation.split() == ["La", "casa", "es", "grande."]


def test_apertium_translates_a_known_sentence_into_catalan(harness, script):
    out = harness.run("l10n.translate", {"script": script, "target": "ca"})
    translation, origin = translations(out)["The house is big."]
    assert origin == "mt:apertium"
    assert {"casa", "és", "gran."} <= set(translation.split())


def test_translated_script_keeps_the_structure_and_takes_the_target_language(harness, script):
    document = harness.run("l10n.translate", {"script": script, "target": "es"})["script"]
    assert document["language"] == "es" and document["source_language"] == "en"
    translated = document["script"]
    assert translated["language"] == "es"
    assert [scene["id"] for scene in translated["scenes"]] == ["intro", "outro"]
    assert translated["scenes"][0]["narration"] == ["La casa es grande."]
    assert translated["scenes"][1]["duration"] == 2
    assert {s["path"] for s in document["strings"]} == {
        "title", "scenes[0].narration[0]", "scenes[0].on_screen[0]", "scenes[1].narration[0]"}


def test_an_approved_catalog_translation_wins_over_machine_translation(harness, script):
    catalog = write(harness, "es.po", """\
        msgid ""
        msgstr ""
        "Language: es\\n"

        msgid "The house is big."
        msgstr "La casa es enorme."
        """)
    out = harness.run("l10n.translate", {"script": script, "target": "es", "catalogs": [catalog]})
    assert translations(out)["The house is big."] == ("La casa es enorme.", "catalog:es.po")
    assert translations(out)["Visit our shop today."][1] == "mt:apertium"


def test_fuzzy_po_entries_and_unapproved_xliff_units_are_not_used(harness, script):
    po = write(harness, "es.po", """\
        msgid ""
        msgstr ""
        "Language: es\\n"

        #, fuzzy
        msgid "The house is big."
        msgstr "La casa es enorme."
        """)
    xliff = write(harness, "extra.es.xlf", """\
        <?xml version="1.0" encoding="UTF-8"?>
        <xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2">
          <file original="s" source-language="en" target-language="es" datatype="plaintext"><body>
            <trans-unit id="1"><source>Visit our shop today.</source>
              <target state="needs-review-translation">Ven hoy.</target></trans-unit>
          </body></file>
        </xliff>
        """)
    params = {"script": script, "target": "es", "catalogs": [po, xliff]}
    out = translations(harness.run("l10n.translate", params))
    assert out["The house is big."][1] == "mt:apertium"
    assert out["Visit our shop today."][1] == "mt:apertium"


def test_xliff_2_final_segments_and_json_messages_are_approved(harness, script):
    xliff2 = write(harness, "ca.xlf", """\
        <?xml version="1.0" encoding="UTF-8"?>
        <xliff version="2.0" xmlns="urn:oasis:names:tc:xliff:document:2.0" srcLang="en" trgLang="ca">
          <file id="f1">
            <unit id="u1"><segment state="final"><source>The house is big.</source>
              <target>La casa és enorme.</target></segment></unit>
            <unit id="u2"><segment state="translated"><source>Visit our shop today.</source>
              <target>Visiteu la botiga.</target></segment></unit>
          </file>
        </xliff>
        """)
    json_catalog = write(harness, "brand.json", """\
        {"language": "ca", "messages": {"Reelgraph Coffee": "Cafè Reelgraph",
                                        "Morning coffee": {"translation": "Cafè", "approved": false}}}
        """)
    out = translations(harness.run("l10n.translate", {"script": script, "target": "ca",
                                                      "catalogs": [xliff2, json_catalog]}))
    assert out["The house is big."] == ("La casa és enorme.", "catalog:ca.xlf")
    assert out["Reelgraph Coffee"] == ("Cafè Reelgraph", "catalog:brand.json")
    assert out["Visit our shop today."][1] == "mt:apertium"
    assert out["Morning coffee"][1] == "mt:apertium"


def test_only_catalogs_for_the_target_language_are_used(harness, script):
    catalan = write(harness, "ca.po", 'msgid "The house is big."\nmsgstr "La casa és enorme."\n')
    params = {"script": script, "target": "es", "catalogs": [catalan]}
    out = translations(harness.run("l10n.translate", params))
    assert out["The house is big."][1] == "mt:apertium"


def test_glossary_terms_are_imposed_on_machine_translation(harness):
    glossary = {"shop": {"es": "cafetería", "ca": "cafeteria"}}
    out = harness.run("l10n.translate", {"target": "es", "glossary": glossary},
                      strings=["Visit our shop today."])
    words = out["script"]["script"][0].split()
    assert "cafetería" in words and "tienda" not in words  # apertium alone says "tienda"
    assert words[-1] == "hoy."


def test_do_not_translate_terms_stay_as_written(harness):
    out = harness.run("l10n.translate", {"target": "es", "do_not_translate": ["Coffee Club"]},
                      strings={"tagline": "Join the Coffee Club today."})
    tagline = out["script"]["script"]["tagline"]
    assert "Coffee Club" in tagline
    assert "hoy" in tagline


def test_require_approved_names_the_untranslated_string_and_the_locale(harness, script):
    catalog = write(harness, "es.po", 'msgid "The house is big."\nmsgstr "La casa es enorme."\n')
    with pytest.raises(NodeError) as failure:
        harness.run("l10n.translate", {"script": script, "target": "es", "catalogs": [catalog],
                                       "require_approved": True})
    message = str(failure.value)
    assert "'es'" in message and "Morning coffee" in message
    assert failure.value.code == "missing_approved_translation"


def test_a_missing_apertium_pair_names_the_pair_and_the_debian_package(harness, script):
    with pytest.raises(NodeError) as failure:
        harness.run("l10n.translate", {"script": script, "target": "ar"})
    assert "en -> ar" in str(failure.value)
    assert "apt-get install apertium-eng-ara" in failure.value.hint


def test_the_source_locale_passes_through_untouched(harness, script):
    out = harness.run("l10n.translate", {"script": script, "target": "en"})
    assert all(origin == "source" and translation == source
               for source, (translation, origin) in translations(out).items())


def test_backend_none_leaves_uncatalogued_strings_marked_untranslated(harness, script):
    out = translations(harness.run("l10n.translate", {"script": script, "target": "ar", "backend": "none"}))
    assert out["The house is big."] == ("The house is big.", "untranslated")


def test_a_script_in_another_language_than_source_is_refused(harness):
    script = write(harness, "es.yaml", "language: es\nscenes: [{id: a, narration: [Hola]}]\n")
    with pytest.raises(NodeError) as failure:
        harness.run("l10n.translate", {"script": script, "target": "ca"})
    assert failure.value.param == "source"


def test_a_locale_variant_picks_its_apertium_mode(harness):
    central = harness.run("l10n.translate", {"target": "ca"}, strings=["Visit our shop today."])
    valencian = harness.run("l10n.translate", {"target": "ca-valencia"}, strings=["Visit our shop today."])
    assert "avui." in central["script"]["script"][0].split()
    assert "hui." in valencian["script"]["script"][0].split()
