"""Third-party node packs through entry points, and the checked-in JSON Schemas."""
from __future__ import annotations

import json

import jsonschema
from referencing.jsonschema import DRAFT202012
import pytest
import yaml

from reelgraph.nodes import load_registry
from tests.conftest import REPO, reelgraph_cli
from reelgraph.ui_schemas.generate import render_schemas


def test_a_pack_registers_through_its_entry_point():
    registry = load_registry()
    assert "testpack.fail" in registry and "image.resize" in registry
    assert "testpack.fail" not in load_registry(include_packs=False)


def test_a_pack_node_runs_from_the_command_line(tmp_path):
    (tmp_path / "g.yaml").write_text("reelgraph: 1\nname: g\nnodes:\n"
                                     f"  c: {{type: testpack.count, params: {{log: '{tmp_path / 'log'}'}}}}\n")
    result = reelgraph_cli("run", "g.yaml", "--json", cwd=tmp_path)
    assert json.loads(result.stdout)["nodes"]["c"]["status"] == "succeeded"
    assert (tmp_path / "log").read_text().startswith("c ")


def test_a_broken_pack_does_not_take_the_builtins_down(tmp_path):
    dist = tmp_path / "broken_pack-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-pack\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[reelgraph.nodes]\nbroken = no_such_module:NODES\n")
    result = reelgraph_cli("nodes", "list", "--json", cwd=tmp_path,
                           env={"PYTHONPATH": f"{tmp_path}:{REPO / 'tests' / 'nodepack'}"})
    assert result.returncode == 0
    assert "image.resize" in {row["type"] for row in json.loads(result.stdout.split("\nnode pack")[0])}


def test_checked_in_schemas_are_fresh():
    expected = render_schemas()
    on_disk = {str(p.relative_to(REPO / "ui_schemas")): p.read_text(encoding="utf-8")
               for p in (REPO / "ui_schemas").rglob("*.schema.json")}
    stale = sorted(set(expected) ^ set(on_disk) | {k for k in expected if on_disk.get(k) != expected[k]})
    assert not stale, f"ui_schemas/ is stale ({stale[:5]}); run `make schemas`"


GRAPH_EXAMPLES = sorted(p.name for p in (REPO / "examples").glob("*.yaml")
                        if "storyboard" not in yaml.safe_load(p.read_text())   # storyboards compile to graphs
                        and not p.name.endswith(".graph.yaml"))                # ...written by `reelgraph storyboard`


@pytest.mark.parametrize("example", GRAPH_EXAMPLES)
def test_examples_satisfy_the_document_schema(example):
    validator = schema_validator()
    document = yaml.safe_load((REPO / "examples" / example).read_text())
    validator.validate(document)


def schema_validator() -> jsonschema.Draft202012Validator:
    """The graph schema with its node schemas resolvable by file URI, as an editor loads them."""
    from referencing import Registry, Resource

    folder = REPO / "ui_schemas"
    resources = [(path.as_uri(), Resource.from_contents(json.loads(path.read_text()), default_specification=DRAFT202012))
                 for path in folder.rglob("*.schema.json")]
    graph = json.loads((folder / "graph.schema.json").read_text())
    graph["$id"] = (folder / "graph.schema.json").as_uri()
    return jsonschema.Draft202012Validator(graph, registry=Registry().with_resources(resources))


def test_the_schema_checks_node_params():
    bad = {"reelgraph": 1, "name": "x", "nodes": {"r": {"type": "image.resize", "params": {"width": 0}}}}
    with pytest.raises(jsonschema.ValidationError):
        schema_validator().validate(bad)
