"""Fan-in over the matrix: an input gathers every expansion of an upstream node over a matrix
variable (`clip[scene=*].frames`) as a list in the matrix's order; its key is the ordered keys of
the branches; a gather may sit inside another fan-out (one gather per locale)."""
from __future__ import annotations

from reelgraph.flows.api import run_document
from reelgraph.graph import GraphBuilder, GraphInvalid, plan_document, validate_document
from reelgraph.nodes import default_registry


def document(nodes: dict, matrix: dict) -> dict:
    return {"reelgraph": 1, "name": "fan-in", "matrix": matrix, "nodes": nodes}


def seeds_document(seeds: list) -> dict:
    return document({
        "shot": {"type": "util.noop", "params": {"label": "seed ${seed}"}},
        "sheet": {"type": "util.collect", "inputs": {"values": "shot[seed=*].value"}},
    }, {"seed": seeds})


def planned(raw: dict, tmp_path):
    return plan_document(raw, workspace_root=tmp_path)


def statuses(result: dict) -> dict[str, str]:
    return {node_id: node["status"] for node_id, node in result["nodes"].items()}


def issues_of(raw: dict) -> list:
    return validate_document(raw, default_registry())[1]


def test_a_gather_lists_the_branches_in_the_matrix_order(tmp_path):
    plan = planned(seeds_document([3, 1, 2]), tmp_path)
    sheet = plan.nodes["sheet"]
    assert sheet.bindings == {}  # the gather is one node: it does not fan out over seed
    assert sheet.gathered == {"values": (("shot[seed=3]", "value"), ("shot[seed=1]", "value"),
                                         ("shot[seed=2]", "value"))}
    assert sheet.upstream_ids == {"shot[seed=3]", "shot[seed=1]", "shot[seed=2]"}
    assert list(plan.nodes).index("sheet") > max(list(plan.nodes).index(f"shot[seed={s}]") for s in (1, 2, 3))


def test_the_gathers_key_is_the_ordered_keys_of_its_branches(tmp_path):
    plan = planned(seeds_document([1, 2, 3]), tmp_path)
    reordered = planned(seeds_document([2, 1, 3]), tmp_path)
    same = planned(seeds_document([1, 2, 3]), tmp_path)
    assert same.nodes["sheet"].cache_key == plan.nodes["sheet"].cache_key
    assert {n.cache_key for n in reordered.nodes.values() if n.base_id == "shot"} == \
           {n.cache_key for n in plan.nodes.values() if n.base_id == "shot"}
    assert reordered.nodes["sheet"].cache_key != plan.nodes["sheet"].cache_key  # order is meaning


def test_star_gathers_every_variable_of_the_upstream(tmp_path):
    raw = document({
        "shot": {"type": "util.noop", "params": {"label": "${scene}/${seed}"}},
        "sheet": {"type": "util.collect", "inputs": {"values": "shot[*].value"}},
    }, {"scene": ["a", "b"], "seed": [1, 2]})
    sheet = planned(raw, tmp_path).nodes["sheet"]
    assert [up for up, _ in sheet.gathered["values"]] == [
        "shot[scene=a,seed=1]", "shot[scene=a,seed=2]", "shot[scene=b,seed=1]", "shot[scene=b,seed=2]"]


def test_a_gather_inside_a_locale_fan_out_is_one_gather_per_locale(runtime, tmp_path):
    raw = document({
        "clip": {"type": "util.noop", "params": {"label": "${locale}-${scene}"}},
        "story": {"type": "util.collect", "inputs": {"values": "clip[scene=*].value"}},
    }, {"locale": ["en", "es"], "scene": [1, 2, 3]})
    plan = planned(raw, tmp_path)
    assert sorted(n for n in plan.nodes if n.startswith("story")) == ["story[locale=en]", "story[locale=es]"]
    assert [up for up, _ in plan.nodes["story[locale=es]"].gathered["values"]] == [
        "clip[locale=es,scene=1]", "clip[locale=es,scene=2]", "clip[locale=es,scene=3]"]
    result = run_document(runtime, raw, workspace_root=tmp_path)
    assert result["status"] == "succeeded"
    values = {node_id: runtime.store.read_bytes(node["outputs"]["value"]) for node_id, node in result["nodes"].items()
              if node_id.startswith("story")}
    assert values == {"story[locale=en]": b'["en-1","en-2","en-3"]', "story[locale=es]": b'["es-1","es-2","es-3"]'}


def test_changing_one_branch_reruns_only_that_branch_and_the_gather(runtime, tmp_path):
    first = run_document(runtime, seeds_document([1, 2, 3]), workspace_root=tmp_path)
    assert first["status"] == "succeeded" and set(statuses(first).values()) == {"succeeded"}
    second = run_document(runtime, seeds_document([1, 2, 3]), workspace_root=tmp_path,
                          overrides=["matrix.seed=1,2,4"])
    assert second["status"] == "succeeded"
    assert {n for n, s in statuses(second).items() if s != "cached"} == {"shot[seed=4]", "sheet"}
    sheet = second["nodes"]["sheet"]["outputs"]["value"]
    assert runtime.store.read_bytes(sheet) == b'["seed 1","seed 2","seed 4"]'


def test_a_plain_reference_to_a_gather_input_is_a_list_of_one(runtime, tmp_path):
    raw = document({"one": {"type": "util.value", "params": {"value": 7}},
                    "all": {"type": "util.collect", "inputs": {"values": "one.value"}}}, {})
    result = run_document(runtime, raw, workspace_root=tmp_path)
    assert runtime.store.read_bytes(result["nodes"]["all"]["outputs"]["value"]) == b"[7]"


def test_gathering_over_a_variable_the_upstream_does_not_fan_out_over_is_an_error():
    raw = document({
        "shot": {"type": "util.noop", "params": {"label": "seed ${seed}"}},
        "sheet": {"type": "util.collect", "inputs": {"values": "shot[locale=*].value"}},
    }, {"seed": [1, 2], "locale": ["en", "es"]})
    [issue] = issues_of(raw)
    assert (issue.code, issue.node, issue.field) == ("invalid_gather", "sheet", "values")
    assert "'locale'" in issue.message and "'shot'" in issue.message and "seed" in issue.message


def test_gathering_a_variable_the_matrix_lacks_says_so():
    raw = document({"shot": {"type": "util.noop", "params": {"label": "s${seed}"}},
                    "sheet": {"type": "util.collect", "inputs": {"values": "shot[sead=*].value"}}}, {"seed": [1]})
    [issue] = issues_of(raw)
    assert issue.code == "invalid_gather" and "the matrix has no 'sead'" in issue.message


def test_gathering_every_variable_of_a_node_without_any_is_an_error():
    raw = document({"one": {"type": "util.value", "params": {"value": 1}},
                    "all": {"type": "util.collect", "inputs": {"values": "one[*].value"}}}, {"seed": [1, 2]})
    [issue] = issues_of(raw)
    assert (issue.code, issue.node, issue.field) == ("invalid_gather", "all", "values")


def test_a_gather_into_an_input_that_takes_one_value_is_an_error():
    raw = document({"shot": {"type": "util.noop", "params": {"label": "s${seed}"}},
                    "next": {"type": "util.noop", "inputs": {"value": "shot[seed=*].value"}}}, {"seed": [1, 2]})
    [issue] = issues_of(raw)
    assert (issue.code, issue.node, issue.field) == ("not_a_gather_input", "next", "value")


def test_a_branch_selector_other_than_star_is_malformed():
    raw = document({"shot": {"type": "util.noop", "params": {"label": "s${seed}"}},
                    "sheet": {"type": "util.collect", "inputs": {"values": "shot[seed=1].value"}}}, {"seed": [1, 2]})
    [issue] = issues_of(raw)
    assert issue.code == "malformed_reference" and "[seed=*]" in issue.message


def test_every_gather_problem_is_reported_with_the_others():
    raw = document({"shot": {"type": "util.noop", "params": {"label": "s${seed}"}},
                    "sheet": {"type": "util.collect", "inputs": {"values": "shot[locale=*].value"}},
                    "broken": {"type": "no.such.type"}}, {"seed": [1, 2]})
    assert {(i.code, i.node) for i in issues_of(raw)} == {("invalid_gather", "sheet"), ("unknown_node_type", "broken")}


def test_the_builder_writes_gathers():
    g = GraphBuilder("b", matrix={"seed": [1, 2]})
    shot = g.add("shot", "util.noop", label="s${seed}")
    g.add("sheet", "util.collect", inputs={"values": shot.value.gathered("seed")})
    assert g.document()["nodes"]["sheet"]["inputs"] == {"values": "shot[seed=*].value"}
    assert issues_of(g.document()) == []


def test_a_cycle_through_a_gather_is_still_a_cycle():
    raw = document({"a": {"type": "util.collect", "inputs": {"values": "b[seed=*].value"}},
                    "b": {"type": "util.noop", "params": {"label": "s${seed}"}, "inputs": {"value": "a.value"}}},
                   {"seed": [1, 2]})
    try:
        plan_document(raw, workspace_root=".")
    except GraphInvalid as error:
        assert {i.code for i in error.issues} == {"cycle"}
    else:
        raise AssertionError("a cycle was planned")


def test_the_document_schema_and_the_node_schemas_show_gathers():
    import re

    from reelgraph.graph.references import parse_reference
    from reelgraph.ui_schemas.generate import graph_schema, node_schema

    pattern = graph_schema(default_registry())["$defs"]["NodeSpec"]["properties"]["inputs"]["additionalProperties"][
        "pattern"]
    for text in ["shot.value", "shot[seed=*].value", "shot[*].value", "shot[ a=*, b=* ].value",
                 "shot[seed=1].value", "shot", "shot[].value", "shot.value.x"]:
        assert bool(re.match(pattern, text)) == (parse_reference(text) is not None), text
    assert node_schema(default_registry().get("util.collect"))["inputs"]["values"]["gather"] is True
    assert "gather" not in node_schema(default_registry().get("util.noop"))["inputs"]["value"]
