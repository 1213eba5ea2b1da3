"""Matrix expansion, cache keys, --set overrides, targets and the builder API."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from reelgraph.graph import GraphBuilder, GraphInvalid, apply_overrides, load_plan, parse_text, plan_document

REPO = Path(__file__).resolve().parent.parent
CAMPAIGN = {
    "reelgraph": 1, "name": "campaign", "matrix": {"locale": ["en", "es", "ca"], "seed": [1, 2]},
    "nodes": {
        "master": {"type": "util.value", "params": {"value": "master"}},
        "shared": {"type": "util.noop", "inputs": {"value": "master.value"}},
        "text": {"type": "text.template", "params": {"template": "hi {l}", "values": {"l": "${locale}"}}},
        "voice": {"type": "util.noop", "inputs": {"value": "shared.value"}, "params": {"label": "${locale}"}},
        "render": {"type": "util.sleep", "inputs": {"value": "voice.value"},
                   "params": {"seconds": 0, "label": "seed ${seed}"}},
    },
}


def plan_of(document: dict, **kwargs):
    return plan_document(document, workspace_root=REPO / "examples", **kwargs)


def test_matrix_expands_only_dependent_nodes():
    plan = plan_of(CAMPAIGN)
    assert [n for n in plan.nodes if n.startswith(("master", "shared"))] == ["master", "shared"]
    assert {n for n in plan.nodes if n.startswith("voice")} == {
        "voice[locale=en]", "voice[locale=es]", "voice[locale=ca]"}
    # render uses ${seed} directly and ${locale} through voice: the product of both
    renders = {n for n in plan.nodes if n.startswith("render")}
    assert len(renders) == 6 and "render[locale=es,seed=2]" in renders
    assert plan.nodes["render[locale=es,seed=2]"].inputs == {"value": ("voice[locale=es]", "value")}
    assert plan.nodes["voice[locale=ca]"].inputs == {"value": ("shared", "value")}


def test_a_whole_variable_keeps_its_type_and_a_partial_one_is_formatted():
    plan = plan_of(CAMPAIGN)
    assert plan.nodes["render[locale=en,seed=2]"].params["label"] == "seed 2"
    sleep = plan_of({"reelgraph": 1, "name": "s", "matrix": {"s": [0.5]},
                     "nodes": {"a": {"type": "util.sleep", "params": {"seconds": "${s}"}}}})
    assert sleep.nodes["a[s=0.5]"].params["seconds"] == 0.5
    assert plan.nodes["text[locale=ca]"].params["values"] == {"l": "ca"}


def test_topological_order():
    plan = plan_of(CAMPAIGN)
    position = {node_id: i for i, node_id in enumerate(plan.nodes)}
    for node in plan.nodes.values():
        assert all(position[up] < position[node.id] for up in node.upstream_ids)


def test_cache_keys_ignore_node_ids_and_key_order():
    a = plan_of({"reelgraph": 1, "name": "a", "nodes": {
        "x": {"type": "util.value", "params": {"value": {"k": 1, "j": 2}}},
        "y": {"type": "util.noop", "inputs": {"value": "x.value"}, "params": {"label": "l"}}}})
    b = plan_of({"name": "b", "reelgraph": 1, "nodes": {
        "second": {"params": {"label": "l"}, "inputs": {"value": "first.value"}, "type": "util.noop"},
        "first": {"params": {"value": {"j": 2, "k": 1}}, "type": "util.value"}}})
    assert a.nodes["y"].cache_key == b.nodes["second"].cache_key
    assert a.nodes["x"].cache_key == b.nodes["first"].cache_key


def test_defaults_are_filled_before_keying():
    explicit = plan_of({"reelgraph": 1, "name": "a", "nodes": {"n": {"type": "util.noop", "params": {"label": ""}}}})
    implicit = plan_of({"reelgraph": 1, "name": "a", "nodes": {"n": {"type": "util.noop"}}})
    assert explicit.nodes["n"].cache_key == implicit.nodes["n"].cache_key


def test_a_param_change_rekeys_exactly_the_node_and_its_downstream():
    before = plan_of(CAMPAIGN)
    after = plan_of(apply_overrides(CAMPAIGN, ["voice.label=${locale}-v2"]))
    changed = {n for n in before.nodes if before.nodes[n].cache_key != after.nodes[n].cache_key}
    assert changed == {n for n in before.nodes if n.startswith(("voice", "render"))}


def test_equal_work_in_different_locales_shares_a_key():
    plan = plan_of(CAMPAIGN)
    assert plan.nodes["render[locale=en,seed=1]"].cache_key != plan.nodes["render[locale=es,seed=1]"].cache_key
    same = plan_of({"reelgraph": 1, "name": "s", "matrix": {"locale": ["en", "es"]}, "nodes": {
        "t": {"type": "text.template", "params": {"template": "same ${locale}"}}}})
    assert same.nodes["t[locale=en]"].cache_key != same.nodes["t[locale=es]"].cache_key


def test_file_contents_are_part_of_the_key(tmp_path):
    image = tmp_path / "a.png"
    image.write_bytes((REPO / "examples/assets/coffee.png").read_bytes())
    document = {"reelgraph": 1, "name": "f", "nodes": {"p": {"type": "image.load", "params": {"paths": ["a.png"]}}}}
    first = plan_document(document, workspace_root=tmp_path).nodes["p"].cache_key
    image.write_bytes((REPO / "examples/assets/astronaut.png").read_bytes())
    assert plan_document(document, workspace_root=tmp_path).nodes["p"].cache_key != first


def test_non_deterministic_nodes_are_salted_by_run():
    document = {"reelgraph": 1, "name": "r", "nodes": {"r": {"type": "testpack.random"},
                                                      "d": {"type": "util.value"}}}
    one, two = plan_of(document, run_id="one"), plan_of(document, run_id="two")
    assert one.nodes["r"].cache_key != two.nodes["r"].cache_key
    assert one.nodes["d"].cache_key == two.nodes["d"].cache_key


def test_keys_are_identical_across_processes():
    script = ("import json,sys; from graph import load_plan; "
              "print(json.dumps({n.id: n.cache_key for n in load_plan(sys.argv[1]).nodes.values()}))")
    keys = [json.loads(subprocess.run([sys.executable, "-c", script, str(REPO / "examples/hello.yaml")],
                                      capture_output=True, text=True, check=True,
                                      env={"PYTHONHASHSEED": seed}).stdout) for seed in ("1", "2")]
    assert keys[0] == keys[1]
    assert keys[0] == {n.id: n.cache_key for n in load_plan(REPO / "examples/hello.yaml").nodes.values()}


def test_overrides_set_params_and_matrix():
    document = apply_overrides(CAMPAIGN, ["render.seconds=0.25", "matrix.locale=en,ar", "voice.extra.deep=1"])
    assert document["nodes"]["render"]["params"]["seconds"] == 0.25
    assert document["matrix"]["locale"] == ["en", "ar"]
    assert CAMPAIGN["matrix"]["locale"] == ["en", "es", "ca"]  # the original is untouched
    with pytest.raises(GraphInvalid) as error:
        apply_overrides(CAMPAIGN, ["ghost.x=1", "no-equals-sign"])
    assert [i.code for i in error.value.issues] == ["unknown_node", "invalid_override"]


def test_targets_keep_only_what_they_need():
    plan = plan_of(CAMPAIGN).restricted_to(["voice[locale=es]"])
    assert set(plan.nodes) == {"master", "shared", "voice[locale=es]"}
    assert len(plan_of(CAMPAIGN).restricted_to(["voice"]).nodes) == 5
    with pytest.raises(GraphInvalid):
        plan_of(CAMPAIGN).restricted_to(["nope"])


def test_the_builder_writes_the_same_graph_as_yaml():
    g = GraphBuilder("hello", matrix={"locale": ["en", "es"]}, description="Load two photos, make thumbnails, "
                     "and write a caption per locale.")
    photos = g.add("photos", "image.load", paths=["assets/coffee.png", "assets/astronaut.png"])
    g.add("thumb", "image.resize", inputs={"image": photos.image}, width=128, height=96, fit="cover")
    g.add("caption", "text.template", template="{greeting}! This is reelgraph rendering in {locale}.",
          values={"greeting": "Hello", "locale": "${locale}"})
    g.add("summary", "util.noop", label="thumbnails ready")
    from_yaml = load_plan(REPO / "examples/hello.yaml")
    from_code = g.plan(REPO / "examples")
    assert {n: p.cache_key for n, p in from_code.nodes.items()} == {n: p.cache_key for n, p in from_yaml.nodes.items()}
    assert yaml.safe_load(g.to_yaml()) == parse_text((REPO / "examples/hello.yaml").read_text())
    with pytest.raises(ValueError):
        g.add("thumb", "util.value")
