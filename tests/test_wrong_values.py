"""Values that used to be accepted and silently did something else: a bool read as a number, a
misspelt matrix variable, a broken PO catalog, a catalog for another language. Each is now
refused at validation, naming the node, the param or the file."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from reelgraph.graph import GraphInvalid, load_plan
from tests.conftest import reelgraph_cli

PO_HEADER = 'msgid ""\nmsgstr ""\n"Language: {language}\\n"\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'


def write_document(folder: Path, nodes: dict, matrix: dict | None = None) -> Path:
    path = folder / "graph.json"
    path.write_text(json.dumps({"reelgraph": 1, "name": "values", "matrix": matrix or {}, "nodes": nodes}))
    return path


def issues_of(path: Path, overrides: list[str] | None = None) -> list[tuple[str, str | None, str | None, str]]:
    with pytest.raises(GraphInvalid) as caught:
        load_plan(path, overrides=overrides or [])
    return [(issue.code, issue.node, issue.field, issue.message) for issue in caught.value.issues]


@pytest.fixture
def thumbnail(tmp_path: Path) -> Path:
    (tmp_path / "in.png").write_bytes((Path(__file__).parent.parent / "examples/assets/coffee.png").read_bytes())
    return write_document(tmp_path, {
        "photo": {"type": "image.load", "params": {"paths": ["in.png"]}},
        "thumb": {"type": "image.resize", "inputs": {"image": "photo.image"}, "params": {"width": 64}}})


def test_a_bool_for_a_number_in_a_document_is_refused(tmp_path):
    path = write_document(tmp_path, {"sleep": {"type": "util.sleep", "params": {"seconds": True}}})
    [(code, node, field, message)] = issues_of(path)
    assert (code, node, field) == ("invalid_param", "sleep", "seconds") and "true/false" in message


def test_a_bool_for_a_number_given_with_set_is_refused(thumbnail):
    [(code, node, field, _)] = issues_of(thumbnail, ["thumb.width=true"])  # was: width 1
    assert (code, node, field) == ("invalid_param", "thumb", "width")
    assert load_plan(thumbnail, overrides=["thumb.width=48"]).nodes["thumb"].params["width"] == 48


def test_a_bool_deep_inside_a_param_is_refused(tmp_path):
    path = write_document(tmp_path, {"kf": {"type": "util.noop"}, "move": {
        "type": "camera.move", "inputs": {"images": "kf.value"},
        "params": {"path": [{"zoom": 1.0}, {"zoom": True}], "seconds": 1, "fps": 4}}})
    messages = [message for _, _, field, message in issues_of(path) if field == "path"]
    assert messages and "[1].zoom" in messages[0]


def test_a_number_for_text_is_refused(tmp_path):
    path = write_document(tmp_path, {"hello": {"type": "text.template", "params": {"template": 5}}})
    assert [(code, field) for code, _, field, _ in issues_of(path)] == [("invalid_param", "template")]


def test_a_bool_param_still_takes_a_bool(tmp_path):
    path = write_document(tmp_path, {"hello": {"type": "util.noop", "params": {"label": "hi"}},
                                     "t": {"type": "l10n.translate", "inputs": {"strings": "hello.value"},
                                           "params": {"target": "es", "require_approved": True}}})
    assert load_plan(path).nodes["t"].params["require_approved"] is True


def test_a_misspelt_matrix_variable_in_set_is_an_error(tmp_path):
    path = write_document(tmp_path, {"hello": {"type": "text.template", "params": {"template": "${locale}"}}},
                          matrix={"locale": ["en", "es"]})
    [(code, _, field, message)] = issues_of(path, ["matrix.locales=fr"])  # was: ignored, ran en and es
    assert (code, field) == ("unknown_matrix_variable", "--set") and "'locales'" in message and "locale" in message
    assert sorted(load_plan(path, overrides=["matrix.locale=fr"]).nodes) == ["hello[locale=fr]"]


def test_the_cli_reports_a_wrong_set_as_invalid_without_a_traceback(thumbnail):
    result = reelgraph_cli("plan", "graph.json", "--set", "thumb.width=true", "--json", cwd=thumbnail.parent)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    [error] = json.loads(result.stdout)["errors"]
    assert (error["node"], error["field"]) == ("thumb", "width")


def translator(folder: Path, catalog: str, *, matrix: dict | None = None, target: str = "es") -> Path:
    return write_document(folder, {
        "hello": {"type": "util.noop", "params": {"label": "Hello"}},
        "t": {"type": "l10n.translate", "inputs": {"strings": "hello.value"},
              "params": {"target": target, "catalogs": [catalog], "backend": "none"}}}, matrix=matrix)


@pytest.mark.parametrize("body", [
    'msgid "Hello\nmsgstr "Hola"\n',                  # unterminated string: babel read 'Hell'
    'msgid "Hello"\n\nmsgid "Bye"\nmsgstr "Adios"\n',  # an entry without msgstr
    'msgidd "Hello"\nmsgstr "Hola"\n',                 # a misspelt keyword: the entry vanished
    "Hello = Hola\n",                                  # not PO at all
])
def test_a_malformed_po_catalog_is_refused_at_validation(tmp_path, body):
    (tmp_path / "es.po").write_text(PO_HEADER.format(language="es") + body)
    [(code, node, field, message)] = issues_of(translator(tmp_path, "es.po"))
    assert (code, node, field) == ("invalid_file", "t", "catalogs[0]") and "es.po" in message


def test_a_well_formed_po_catalog_is_used(tmp_path):
    (tmp_path / "es.po").write_text(PO_HEADER.format(language="es") + 'msgid "Hello"\nmsgstr "Hola"\n')
    assert load_plan(translator(tmp_path, "es.po")).nodes["t"].type == "l10n.translate"


def test_a_catalog_for_another_language_than_its_branch_is_refused(tmp_path):
    (tmp_path / "l10n").mkdir()
    (tmp_path / "l10n" / "fr.po").write_text(PO_HEADER.format(language="es") + 'msgid "Hello"\nmsgstr "Hola"\n')
    path = translator(tmp_path, "l10n/${locale}.po", matrix={"locale": ["fr"]}, target="${locale}")
    [(code, node, field, message)] = issues_of(path)  # was: the fr branch ignored it, untranslated
    assert (code, node, field) == ("catalog_language_mismatch", "t", "catalogs[0]")
    assert "l10n/fr.po" in message and "'es'" in message and "'fr'" in message
