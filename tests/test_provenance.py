"""Provenance: a rendered video is signed with a C2PA manifest carrying its lineage, verifies until a
single byte changes, and leads back to the run, graph, models and seeds that made it; an invisible
watermark survives H.264."""
from __future__ import annotations

import dataclasses
import datetime
import json
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pydantic import ValidationError
from skimage import data

from reelgraph.flows.lineage import node_lineage
from reelgraph.flows.runtime import open_runtime
from reelgraph.nodes import NodeError
from reelgraph.nodes.provenance.credentials import create_local_ca
from reelgraph.nodes.provenance.verify import verify_file
from reelgraph.nodes.provenance.watermark_codec import extract, payload_of
from reelgraph.nodes.values import MediaFile
from tests.conftest import reelgraph_cli
from tests.node_harness import tiny_model_builder

SIGNED_GRAPH = """
reelgraph: 1
name: signed-explainer
matrix:
  locale: [es]
nodes:
  prompt:
    type: text.encode
    params: {model: models/tiny-sd, prompt: "a lighthouse at dusk"}
  kf:
    type: keyframe.generate
    inputs: {embeddings: prompt.embeddings}
    params: {model: models/tiny-sd, steps: 1, width: 64, height: 64, seed: 7}
  pan:
    type: camera.move
    inputs: {images: kf.images}
    params: {path: [{zoom: 1.0}, {zoom: 1.2, pan: [0.05, 0]}], seconds: 1, fps: 8}
  video:
    type: video.encode
    inputs: {frames: pan.frames}
    params: {preset: ultrafast, title: "explainer (${locale})"}
  signed:
    type: provenance.sign
    inputs: {video: video.video}
    params: {key: keys/signer.key, certificate: keys/signer-chain.pem}
"""


@dataclasses.dataclass(frozen=True)
class Render:
    root: Path
    run: dict               # `reelgraph run --json`
    signed: Path            # a copy of the signed MP4, outside the store
    unsigned: Path          # video.encode's MP4, as it was before signing
    signed_sha: str

    def node(self, node_type: str) -> str:
        return next(node_id for node_id, node in self.run["nodes"].items() if node["type"] == node_type)

    def cli(self, *args: str):
        return reelgraph_cli(*args, cwd=self.root)


def build_tiny_sd(models: Path) -> None:
    import torch

    builder = tiny_model_builder()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny models on a shared machine: threads only contend
    try:
        builder.build_tiny_models(models, ["tiny-sd"])
    finally:
        torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def render(tmp_path_factory) -> Render:
    """One real render, signed: text.encode -> keyframe.generate (tiny SD, seed 7) -> camera.move
    -> video.encode -> provenance.sign, run by the real CLI with the default database."""
    root = tmp_path_factory.mktemp("signed-render")
    build_tiny_sd(root / "models")
    create_local_ca(root / "keys")
    (root / "signed.yaml").write_text(SIGNED_GRAPH)
    result = reelgraph_cli("run", "signed.yaml", "--json", cwd=root, env={"OMP_NUM_THREADS": "1"})
    run = json.loads(result.stdout)
    assert run["status"] == "succeeded", result.stdout + result.stderr
    runtime = open_runtime(f"sqlite:///{root / '.reelgraph' / 'reelgraph.db'}", str(root / ".reelgraph" / "store"))
    try:
        shas = {node["type"]: node["outputs"]["video"] for node in run["nodes"].values() if "video" in node["outputs"]}
        shutil.copy(runtime.store.local_path(shas["provenance.sign"]), root / "signed.mp4")
        shutil.copy(runtime.store.local_path(shas["video.encode"]), root / "unsigned.mp4")
    finally:
        runtime.db.dispose()
    return Render(root, run, root / "signed.mp4", root / "unsigned.mp4", shas["provenance.sign"])


def verify_json(render: Render, path: Path, *extra: str) -> tuple[int, dict]:
    result = render.cli("verify", str(path), "--json", *extra)
    return result.returncode, json.loads(result.stdout)


def mdat_payload(data: bytes) -> tuple[int, int]:
    """(start, end) of the media data inside the MP4's mdat box."""
    position = 0
    while position < len(data):
        size, kind = struct.unpack(">I4s", data[position:position + 8])
        header = 8
        if size == 1:  # a 64-bit size follows the type
            size, header = struct.unpack(">Q", data[position + 8:position + 16])[0], 16
        if kind == b"mdat":
            return position + header, position + size
        position += size
    raise AssertionError("no mdat box")


# --- keys ----------------------------------------------------------------------------------------

def test_keys_init_writes_a_ca_issued_signing_chain(tmp_path):
    from cryptography import x509
    from cryptography.x509.oid import ExtendedKeyUsageOID

    result = reelgraph_cli("keys", "init", "keys", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "REELGRAPH_C2PA_KEY=" in result.stdout and "--trust" in result.stdout
    leaf, ca = x509.load_pem_x509_certificates((tmp_path / "keys" / "signer-chain.pem").read_bytes())
    assert leaf.issuer == ca.subject != leaf.subject  # not self-signed: C2PA refuses those
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION in leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert (tmp_path / "keys" / "signer.key").stat().st_mode & 0o777 == 0o600
    key = (tmp_path / "keys" / "signer.key").read_bytes()
    again = reelgraph_cli("keys", "init", "keys", cwd=tmp_path)
    assert again.returncode == 0 and "kept the existing key" in again.stdout  # idempotent, for make demo
    assert (tmp_path / "keys" / "signer.key").read_bytes() == key  # never overwrites a key silently


# --- signing and verifying -----------------------------------------------------------------------

def test_a_signed_render_verifies(render):
    code, report = verify_json(render, render.signed)
    assert code == 0 and report["valid"] and report["errors"] == []
    assert report["state"] == "Valid"
    assert [w["code"] for w in report["warnings"]] == ["signingCredential.untrusted"]  # a local CA


def test_the_manifest_says_generated_by_reelgraph_and_localized(render):
    manifest = verify_json(render, render.signed)[1]["manifest"]
    assert manifest["claim_generator"].startswith("reelgraph/")
    created, translated = manifest["actions"]
    assert created["action"] == "c2pa.created"
    assert created["digitalSourceType"] == "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
    assert translated["action"] == "c2pa.translated" and translated["parameters"]["targetLanguage"] == "es"
    assert manifest["lineage_summary"]["seeds"] == [{"node_id": "kf", "seed": "7"}]


def test_trusting_the_local_ca_makes_the_signer_trusted(render):
    code, report = verify_json(render, render.signed, "--trust", str(render.root / "keys" / "ca.pem"))
    assert code == 0 and report["state"] == "Trusted" and report["warnings"] == []


def test_one_flipped_byte_of_video_data_fails_verification(render, tmp_path):
    altered = bytearray(render.signed.read_bytes())
    start, end = mdat_payload(altered)
    altered[(start + end) // 2] ^= 0x01
    (tmp_path / "altered.mp4").write_bytes(altered)
    code, report = verify_json(render, tmp_path / "altered.mp4")
    assert code == 1 and not report["valid"]
    assert "assertion.bmffHash.mismatch" in {error["code"] for error in report["errors"]}


def test_an_unsigned_video_fails_verification(render):
    code, report = verify_json(render, render.unsigned)
    assert code == 1 and not report["valid"] and report["state"] == "no_manifest"


def test_verify_prints_what_it_found(render):
    result = render.cli("verify", str(render.signed))
    assert result.returncode == 0
    assert "valid" in result.stdout and render.run["run_id"] in result.stdout.replace("\n", "")
    assert "c2pa.translated" in result.stdout


# --- lineage -------------------------------------------------------------------------------------

def test_lineage_of_the_signed_file_names_run_graph_nodes_models_and_seeds(render):
    result = render.cli("lineage", str(render.signed), "--json")
    assert result.returncode == 0, result.stderr
    lineage = json.loads(result.stdout)
    assert lineage["source"] == "database" and lineage["run_id"] == render.run["run_id"]
    assert lineage["graph"] == "signed-explainer" and lineage["node_id"] == render.node("provenance.sign")
    assert lineage["port"] == "video" and lineage["artifact"]["sha256"] == render.signed_sha
    assert {node["node_id"] for node in lineage["nodes"]} == set(render.run["nodes"])
    assert any(model.endswith("tiny-sd") for model in lineage["models"])
    assert lineage["seeds"] == [7]


def test_lineage_accepts_a_hash_prefix(render):
    result = render.cli("lineage", render.signed_sha[:10], "--json")
    assert result.returncode == 0 and json.loads(result.stdout)["run_id"] == render.run["run_id"]


def test_lineage_of_an_unknown_file_fails(render, tmp_path):
    (tmp_path / "other.mp4").write_bytes(b"not produced by any run")
    result = render.cli("lineage", str(tmp_path / "other.mp4"))
    assert result.returncode == 1 and "no artifact" in result.stderr


def test_a_file_unknown_to_the_database_gets_its_lineage_from_its_manifest(render, tmp_path):
    result = render.cli("lineage", str(render.signed), "--db", f"sqlite:///{tmp_path / 'other.db'}", "--json")
    lineage = json.loads(result.stdout)
    assert result.returncode == 0 and lineage["source"] == "manifest" and lineage["manifest_valid"]
    assert lineage["run_id"] == render.run["run_id"] and lineage["seeds"] == [7]


def test_the_embedded_lineage_matches_the_database(render):
    embedded = verify_file(render.signed).lineage
    runtime = open_runtime(f"sqlite:///{render.root / '.reelgraph' / 'reelgraph.db'}")
    try:
        recorded = node_lineage(runtime, render.run["run_id"], render.node("provenance.sign"))
    finally:
        runtime.db.dispose()
    run_fields = ("run_id", "graph", "graph_id", "models", "seeds", "bindings")
    assert {key: embedded[key] for key in run_fields} == {key: recorded[key] for key in run_fields}
    compared = ("node_id", "type", "version", "cache_key", "params", "bindings", "inputs", "outputs", "models", "seeds")

    def upstream(lineage: dict) -> list[dict]:  # the signing node's own outputs did not exist yet
        return [{key: node[key] for key in compared} for node in lineage["nodes"]
                if node["node_id"] != lineage["node_id"]]

    assert len(upstream(recorded)) == 4 and upstream(embedded) == upstream(recorded)
    assert all("host" not in node for node in embedded["nodes"])  # machine names stay private


# --- signing errors ------------------------------------------------------------------------------

def test_signing_without_credentials_says_how_to_get_them(harness, render, monkeypatch, tmp_path):
    monkeypatch.delenv("REELGRAPH_C2PA_KEY", raising=False)
    monkeypatch.chdir(tmp_path)  # no .reelgraph/keys/ here either
    with pytest.raises(NodeError) as raised:
        harness.run("provenance.sign", {}, video=MediaFile(render.unsigned, "video/mp4"))
    assert raised.value.param == "key" and "reelgraph keys init" in raised.value.hint


def test_a_self_signed_certificate_is_refused_with_a_hint(harness, render):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "self")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    (harness.workspace.root / "self.key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    (harness.workspace.root / "self.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    with pytest.raises(NodeError, match="self-signed") as raised:
        harness.run("provenance.sign", {"key": "self.key", "certificate": "self.pem"},
                    video=MediaFile(render.unsigned, "video/mp4"))
    assert "keys init" in raised.value.hint


def test_credentials_come_from_the_environment_when_no_param_names_them(harness, render, monkeypatch):
    monkeypatch.setenv("REELGRAPH_C2PA_KEY", str(render.root / "keys" / "signer.key"))
    monkeypatch.setenv("REELGRAPH_C2PA_CERT", str(render.root / "keys" / "signer-chain.pem"))
    outputs = harness.run("provenance.sign", {}, video=MediaFile(render.unsigned, "video/mp4"))
    assert outputs["video.meta"]["c2pa"]["algorithm"] == "es256"
    assert verify_file(outputs["video"].path).valid


# --- watermark -----------------------------------------------------------------------------------

@pytest.fixture
def pan_256(harness):
    """2 s of a steady pan over a real photograph at 12 fps, 256 x 256: the smallest frame size
    invisible-watermark accepts."""
    params = {"path": [{"zoom": 1.1, "pan": [-0.05, 0]}, {"zoom": 1.1, "pan": [0.05, 0]}],
              "seconds": 2, "fps": 12, "width": 256, "height": 256}
    return harness.run("camera.move", params, images=[Image.fromarray(data.coffee())])["frames"]


def encode(harness, frames) -> Path:
    return harness.run("video.encode", {"crf": 20, "preset": "veryfast"}, frames=frames)["video"].path


def test_a_watermark_survives_h264_encoding(harness, pan_256, tmp_path):
    marked = harness.run("provenance.watermark", {"payload": "rg-2026"}, frames=pan_256)["frames"]
    result = reelgraph_cli("watermark", "detect", str(encode(harness, marked)), "--json", cwd=tmp_path)
    found = json.loads(result.stdout)
    assert result.returncode == 0 and found["found"] and found["payload"] == "rg-2026"
    assert found["frames"] == 24


def test_an_unmarked_video_has_no_watermark(harness, pan_256, tmp_path):
    result = reelgraph_cli("watermark", "detect", str(encode(harness, pan_256)), "--json", cwd=tmp_path)
    assert result.returncode == 1 and not json.loads(result.stdout)["found"]


def test_the_watermark_is_invisible(harness, pan_256):
    marked = harness.run("provenance.watermark", {}, frames=pan_256)["frames"]
    for original, stamped in zip(pan_256, marked):
        mse = np.mean((original.astype(float) - stamped) ** 2)
        assert 10 * np.log10(255 ** 2 / mse) > 32  # dB: invisible at a glance on a photograph


def test_an_empty_payload_marks_the_run_id(harness, pan_256):
    marked = harness.run("provenance.watermark", {"payload": ""}, frames=pan_256)["frames"]
    first = next(iter(marked))
    assert payload_of(extract(first, method="dwtDctSvd", strength=72)) == "test-run"  # the harness's run id


def test_frames_too_small_for_a_watermark_are_refused(harness):
    frames = harness.run("camera.move", {"seconds": 0.5, "fps": 4, "width": 128, "height": 128},
                         images=[Image.fromarray(data.coffee())])["frames"]
    with pytest.raises(NodeError, match="too small") as raised:
        harness.run("provenance.watermark", {}, frames=frames)
    assert "256x256" in raised.value.hint


def test_a_payload_longer_than_12_bytes_is_an_invalid_param(harness):
    with pytest.raises(ValidationError, match="1 to 12 UTF-8 bytes"):
        harness.run("provenance.watermark", {"payload": "ñandú-ñandú"})  # 11 characters, 15 bytes
