"""Storyboards: shots with narration compiled into a graph that fans out over shots and back in."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from reelgraph.graph import GraphInvalid
from reelgraph.graph.storyboard import Storyboard, compile_storyboard, load_storyboard

REPO = Path(__file__).resolve().parent.parent


def board(**changes) -> Storyboard:
    raw = yaml.safe_load((REPO / "examples" / "storyboard.yaml").read_text())
    raw.update(changes)
    return Storyboard.model_validate(raw)


def test_the_graph_fans_out_over_shots_and_gathers_them_per_locale():
    document = compile_storyboard(board())
    assert [shot["id"] for shot in document["matrix"]["shot"]] == ["cup", "cat", "rocket"]
    assert document["matrix"]["locale"] == ["en", "es"]
    nodes = document["nodes"]
    assert nodes["still"]["params"] == {"paths": ["${shot.image}"]}
    assert nodes["clip"]["params"]["path"] == "${shot.camera}"
    assert nodes["sequence"]["inputs"]["shots"] == "clip[shot=*].frames"
    assert nodes["sequence"]["params"]["transitions"] == [{"kind": "crossfade", "seconds": 0.75},
                                                          {"kind": "dip", "seconds": 1.0}]
    assert nodes["video"]["params"]["audio_language"] == "${locale}"
    script = nodes["script"]["params"]["value"]
    assert [scene["narration"] for scene in script["scenes"]][0] == ["Every morning starts with a cup of coffee."]


def test_drawn_shots_use_keyframe_generate():
    shots = [{"id": "a", "prompt": "a lighthouse", "model": "models/tiny-sd", "duration": 2},
             {"id": "b", "prompt": "the sea", "model": "models/tiny-sd", "duration": 2, "seed": 4}]
    document = compile_storyboard(board(shots=shots))
    assert document["nodes"]["still"]["type"] == "keyframe.generate"
    assert document["nodes"]["still"]["params"]["seed"] == "${shot.seed}"


@pytest.mark.parametrize("shots, field", [
    ([{"id": "a", "duration": 2}], "shots.0"),                                          # no picture
    ([{"id": "a", "image": "x.png", "duration": 2}, {"id": "a", "image": "y.png", "duration": 2}], "shots"),
    ([{"id": "a b", "image": "x.png", "duration": 2}], "shots.0.id"),
    ([{"id": "a", "image": "x.png", "duration": -1}], "shots.0.duration"),
])
def test_a_bad_storyboard_names_the_field(tmp_path, shots, field):
    path = tmp_path / "board.yaml"
    path.write_text(yaml.safe_dump({"storyboard": 1, "title": "t", "shots": shots}))
    with pytest.raises(GraphInvalid) as error:
        load_storyboard(path)
    assert field in {issue.field for issue in error.value.issues}

