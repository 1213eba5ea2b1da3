"""Matrix values as records: `shot: [{id: a, image: ...}]`, read in params as `${shot.image}`."""
from __future__ import annotations

import pytest

from reelgraph.graph import GraphInvalid, plan_document


def document(matrix: dict, params: dict) -> dict:
    return {"reelgraph": 1, "name": "records", "matrix": matrix,
            "nodes": {"label": {"type": "text.template", "params": params}}}


SHOTS = [{"id": "sea", "words": "waves", "count": 3}, {"id": "sky", "words": "clouds", "count": 5}]


def test_a_record_field_is_substituted_with_its_type(tmp_path):
    plan = plan_document(document({"shot": SHOTS}, {"template": "{w} x{n} ${shot}",
                                                    "values": {"w": "${shot.words}", "n": "${shot.count}"}}),
                         workspace_root=tmp_path)
    assert sorted(plan.nodes) == ["label[shot=sea]", "label[shot=sky]"]
    params = plan.nodes["label[shot=sky]"].params
    assert params["values"] == {"w": "clouds", "n": 5}
    assert params["template"].endswith(" sky")


def test_only_the_fields_a_node_reads_enter_its_key(tmp_path):
    params = {"template": "${shot.words}"}
    before = plan_document(document({"shot": SHOTS}, params), workspace_root=tmp_path)
    changed = [dict(SHOTS[0], count=99), SHOTS[1]]
    after = plan_document(document({"shot": changed}, params), workspace_root=tmp_path)
    assert {n: p.cache_key for n, p in before.nodes.items()} == {n: p.cache_key for n, p in after.nodes.items()}


@pytest.mark.parametrize("matrix, params, code", [
    ({"shot": [{"image": "a.png"}]}, {"template": "${shot.image}"}, "invalid_matrix"),
    ({"shot": [{"id": "a"}, {"id": "a"}]}, {"template": "${shot}"}, "invalid_matrix"),
    ({"shot": [{"id": "a"}, "b"]}, {"template": "${shot}"}, "invalid_matrix"),
    ({"shot": SHOTS}, {"template": "${shot.colour}"}, "unknown_matrix_field"),
    ({"locale": ["en"]}, {"template": "${locale.name}"}, "unknown_matrix_field"),
])
def test_bad_records_are_refused_with_the_field(tmp_path, matrix, params, code):
    with pytest.raises(GraphInvalid) as error:
        plan_document(document(matrix, params), workspace_root=tmp_path)
    issue = next(issue for issue in error.value.issues if issue.code == code)
    assert issue.field in ("matrix.shot", "template") and issue.message
