"""One spec per port kind, and the helpers that used to be written two or three times."""
from __future__ import annotations

import hashlib
import json
import math

import pytest
from PIL import Image

from reelgraph.nodes.hashing import canonical_json, sha256_file
from reelgraph.nodes.l10n.subtitle_formats import format_srt, format_vtt
from reelgraph.nodes.ports import PORT_KINDS, PortKind, decode_value, encode_value, kinds_compatible
from reelgraph.nodes.values import Cue, Frames
from reelgraph.storage.artifact_store import LocalArtifactStore, object_key
from reelgraph.ui_schemas.generate import node_schema, port_kinds_table
from reelgraph.nodes import default_registry


def test_every_port_kind_has_one_spec():
    assert set(PORT_KINDS) == set(PortKind)
    for kind, spec in PORT_KINDS.items():
        assert spec.kind is kind and spec.python_type and spec.mime
        assert spec.codec.mime == spec.mime


def test_the_recorded_mime_type_is_the_specs(tmp_path):
    store = LocalArtifactStore(tmp_path)
    values = {PortKind.TEXT: "hi", PortKind.JSON: {"a": 1}, PortKind.IMAGE: Image.new("RGB", (4, 3)),
              PortKind.IMAGES: [Image.new("RGB", (4, 3))]}
    for kind, value in values.items():
        assert encode_value(kind, value, store).mime == PORT_KINDS[kind].mime


def test_compatible_edges_are_exactly_the_specs_conversions():
    edges = {(s, t) for s in PortKind for t in PortKind if s != t and kinds_compatible(s, t)}
    assert edges == {(PortKind.IMAGE, PortKind.IMAGES), (PortKind.IMAGES, PortKind.FRAMES)}


def test_an_image_list_is_read_as_frames_through_its_conversion(tmp_path):
    store = LocalArtifactStore(tmp_path)
    encoded = encode_value(PortKind.IMAGES, [Image.new("RGB", (4, 2), "red")] * 3, store)
    frames = decode_value(PortKind.IMAGES, PortKind.FRAMES, encoded.sha256, encoded.meta, store)
    assert isinstance(frames, Frames) and frames.count == 3 and (frames.width, frames.height) == (4, 2)
    with pytest.raises(TypeError, match="cannot read a images artifact as video"):
        decode_value(PortKind.IMAGES, PortKind.VIDEO, encoded.sha256, encoded.meta, store)


def test_ui_schemas_read_the_spec():
    table = port_kinds_table()
    assert table["image"] == {"python_type": "PIL.Image.Image", "mime": "image/png", "extension": "png",
                              "converts_to": ["images"]}
    camera = node_schema(default_registry().get("camera.move"))
    assert camera["inputs"]["images"]["accepts"] == ["image", "images"]


def test_canonical_json_is_sorted_compact_utf8_and_refuses_nan():
    assert canonical_json({"b": 1, "a": "é"}) == '{"a":"é","b":1}'.encode()
    for bad in (math.nan, math.inf):
        with pytest.raises(ValueError):
            canonical_json({"x": bad})


def test_a_json_output_holding_nan_is_refused(tmp_path):
    with pytest.raises(ValueError):
        encode_value(PortKind.JSON, {"score": math.nan}, LocalArtifactStore(tmp_path))


def test_file_hash_and_object_layout(tmp_path):
    path = tmp_path / "blob.bin"
    path.write_bytes(b"x" * 3_000_000)
    sha = sha256_file(path)
    assert sha == hashlib.sha256(path.read_bytes()).hexdigest()
    store = LocalArtifactStore(tmp_path / "store")
    assert store.put_file(path) == sha
    assert object_key(sha) == f"objects/{sha[:2]}/{sha[2:]}"
    assert store.path_for(sha) == store.root / object_key(sha) and store.path_for(sha).is_file()
    assert store.uri_for(sha) == f"{store.root}/{object_key(sha)}"


def test_srt_and_vtt_write_cues_in_time_order_without_blank_lines():
    cues = [Cue(2.0, 3.25, "second"), Cue(0.0, 1.5, "first line\n\nafter a blank")]
    assert format_srt(cues) == ("1\n00:00:00,000 --> 00:00:01,500\nfirst line\nafter a blank\n\n"
                                "2\n00:00:02,000 --> 00:00:03,250\nsecond\n")
    assert format_vtt(cues) == ("WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nfirst line\nafter a blank\n\n"
                                "00:00:02.000 --> 00:00:03.250\nsecond\n")


def test_graph_schema_lists_the_port_kinds():
    from tests.conftest import REPO

    schema = json.loads((REPO / "ui_schemas" / "graph.schema.json").read_text())
    assert schema["x-reelgraph-port-kinds"] == port_kinds_table()
