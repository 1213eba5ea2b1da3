"""Validation reports every problem of a document at once, each with a code, node and field."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from reelgraph.graph import GraphInvalid, parse_text, validate_document
from reelgraph.nodes import Workspace, default_registry
from tests.conftest import reelgraph_cli


def issues_of(document: dict, workspace: Path | None = None):
    _, issues = validate_document(document, default_registry(), Workspace(workspace) if workspace else None)
    return issues


def codes(issues) -> set[tuple[str, str | None]]:
    return {(issue.code, issue.node) for issue in issues}


def doc(nodes: dict, **extra) -> dict:
    return {"reelgraph": 1, "name": "t", "nodes": nodes, **extra}


def test_a_valid_document_has_no_issues():
    assert issues_of(doc({"a": {"type": "util.value", "params": {"value": 1}},
                          "b": {"type": "util.noop", "inputs": {"value": "a.value"}}})) == []


def test_unknown_node_type():
    issues = issues_of(doc({"a": {"type": "no.such"}}))
    assert codes(issues) == {("unknown_node_type", "a")}
    assert issues[0].field == "type"


def test_missing_required_input():
    issues = issues_of(doc({"r": {"type": "image.resize"}}))
    assert codes(issues) == {("missing_input", "r")}
    assert issues[0].field == "image"


def test_reference_to_unknown_node():
    issues = issues_of(doc({"r": {"type": "util.noop", "inputs": {"value": "ghost.value"}}}))
    assert codes(issues) == {("unknown_node", "r")}
    assert issues[0].field == "value"


def test_reference_to_unknown_port():
    issues = issues_of(doc({"a": {"type": "util.value"},
                            "b": {"type": "util.noop", "inputs": {"value": "a.nope"}}}))
    assert codes(issues) == {("unknown_port", "b")}


def test_malformed_reference():
    issues = issues_of(doc({"a": {"type": "util.value"}, "b": {"type": "util.noop", "inputs": {"value": "a"}}}))
    assert codes(issues) == {("malformed_reference", "b")}


def test_unknown_input_port():
    issues = issues_of(doc({"a": {"type": "util.value"}, "b": {"type": "util.noop", "inputs": {"nope": "a.value"}}}))
    assert codes(issues) == {("unknown_input", "b")}


def test_port_kind_mismatch():
    issues = issues_of(doc({"t": {"type": "text.template", "params": {"template": "x"}},
                            "r": {"type": "image.resize", "inputs": {"image": "t.text"}}}))
    assert codes(issues) == {("kind_mismatch", "r")}
    assert "image" in issues[0].message and "text" in issues[0].message


def test_a_cycle_names_its_nodes():
    issues = issues_of(doc({"a": {"type": "util.noop", "inputs": {"value": "c.value"}},
                            "b": {"type": "util.noop", "inputs": {"value": "a.value"}},
                            "c": {"type": "util.noop", "inputs": {"value": "b.value"}},
                            "free": {"type": "util.value"}}))
    assert codes(issues) == {("cycle", "a")}
    assert all(name in issues[0].message for name in ("a", "b", "c"))
    assert "free" not in issues[0].message


def test_a_self_loop_is_a_cycle():
    assert codes(issues_of(doc({"a": {"type": "util.noop", "inputs": {"value": "a.value"}}}))) == {("cycle", "a")}


def test_invalid_params_carry_pydantic_message_and_node():
    issues = issues_of(doc({"p": {"type": "image.load", "params": {"paths": ["x.png"]}},
                            "r": {"type": "image.resize", "inputs": {"image": "p.image"},
                                  "params": {"width": 0, "fit": "squash", "colour": "red"}}}))
    by_field = {issue.field: issue for issue in issues if issue.node == "r"}
    assert {"width", "fit", "colour"} <= set(by_field)
    assert all(issue.code == "invalid_param" for issue in by_field.values())
    assert "greater than or equal to 1" in by_field["width"].message


def test_params_are_checked_per_matrix_value():
    issues = issues_of(doc({"r": {"type": "util.sleep", "params": {"seconds": "${s}"}}}, matrix={"s": [1, -5]}))
    assert codes(issues) == {("invalid_param", "r")}
    assert "s=-5" in issues[0].message


def test_unknown_matrix_variable():
    issues = issues_of(doc({"t": {"type": "text.template", "params": {"template": "${lang}"}}},
                           matrix={"locale": ["en"]}))
    assert codes(issues) == {("unknown_matrix_variable", "t")}
    assert issues[0].field == "template"


def test_malformed_ids():
    issues = issues_of(doc({"bad id": {"type": "util.value"}, "a.b": {"type": "util.value"},
                            "ok": {"type": "util.value"}}))
    assert codes(issues) == {("invalid_id", "bad id"), ("invalid_id", "a.b")}


def test_duplicate_ids_in_yaml_and_json():
    yaml_text = "reelgraph: 1\nname: t\nnodes:\n  a: {type: util.value}\n  a: {type: util.noop}\n"
    with pytest.raises(GraphInvalid) as error:
        parse_text(yaml_text, filename="g.yaml")
    assert codes(error.value.issues) == {("duplicate_id", "a")}
    with pytest.raises(GraphInvalid) as error:
        parse_text('{"reelgraph": 1, "name": "t", "nodes": {"a": {"type": "util.value"}, "a": {}}}',
                   filename="g.json")
    assert codes(error.value.issues) == {("duplicate_id", "a")}


def test_unsupported_format_version():
    issues = issues_of({"reelgraph": 2, "name": "t", "nodes": {"a": {"type": "util.value"}}})
    assert codes(issues) == {("unsupported_version", None)}
    assert issues[0].field == "reelgraph"


@pytest.mark.parametrize("text", ["\x00\x01 binary", "nodes: [unclosed", "- just\n- a list\n", "42"])
def test_a_file_that_is_not_yaml_or_json(text):
    with pytest.raises(GraphInvalid) as error:
        parse_text(text, filename="g.yaml")
    assert [issue.code for issue in error.value.issues] == ["parse_error"]


def test_paths_may_not_leave_the_workspace(tmp_path):
    (tmp_path / "inside.png").write_bytes(b"x")
    issues = issues_of(doc({"p": {"type": "image.load", "params": {"paths": ["../outside.png", "/etc/passwd",
                                                                             "inside.png", "missing.png"]}}}),
                       workspace=tmp_path)
    assert [(i.code, i.field) for i in issues] == [("path_outside_workspace", "paths.0"),
                                                   ("path_outside_workspace", "paths.1"),
                                                   ("file_not_found", "paths.3")]


def test_every_problem_is_reported_at_once():
    issues = issues_of({"reelgraph": 1, "name": "t", "matrix": {"locale": ["en"]}, "nodes": {
        "a": {"type": "no.such"},
        "b": {"type": "image.resize", "params": {"width": -1}},
        "c": {"type": "util.noop", "inputs": {"value": "ghost.value"}},
        "d": {"type": "text.template", "params": {"template": "${nope}"}},
    }})
    assert {("unknown_node_type", "a"), ("missing_input", "b"), ("invalid_param", "b"), ("unknown_node", "c"),
            ("unknown_matrix_variable", "d")} <= codes(issues)


def test_cli_validate_exit_codes_and_json(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text("reelgraph: 1\nname: g\nnodes:\n  a: {type: util.value, params: {value: 3}}\n")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc({"a": {"type": "no.such"}, "b": {"type": "image.resize"}})))
    assert reelgraph_cli("validate", str(good), cwd=tmp_path).returncode == 0
    result = reelgraph_cli("validate", str(bad), "--json", cwd=tmp_path)
    assert result.returncode == 2
    errors = json.loads(result.stdout)
    assert {(e["code"], e["node"], e["field"]) for e in errors} == {
        ("unknown_node_type", "a", "type"), ("missing_input", "b", "image")}
    assert set(errors[0]) == {"node", "field", "code", "message"}
    not_yaml = tmp_path / "junk.yaml"
    not_yaml.write_bytes(b"key: [\x00")
    result = reelgraph_cli("validate", str(not_yaml), "--json", cwd=tmp_path)
    assert result.returncode == 2 and json.loads(result.stdout)[0]["code"] == "parse_error"
