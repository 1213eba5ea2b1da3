"""The example graphs, end to end through the CLI, at reduced sizes so the suite stays quick.

Every example that makes a video signs it (provenance.sign) with the local key that
`reelgraph keys init` writes into .reelgraph/keys/ of the folder the CLI runs in, as `make demo` does."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO, reelgraph_cli
from tests.media import ffprobe
from tests.test_provenance import mdat_payload

SMALL_EXPLAINER = ["camera.seconds=2", "camera.width=160", "camera.height=90", "upscale.width=320",
                   "upscale.height=180"]
# 384x216 is the smallest 16:9 size the campaign's watermark accepts (65,536 pixels).
SMALL_CAMPAIGN = ["camera.seconds=3", "camera.width=384", "camera.height=216", "camera.fps=12"]
UNSET_KEYS = {"REELGRAPH_C2PA_KEY": "", "REELGRAPH_C2PA_CERT": ""}  # only the default key location


@pytest.fixture
def examples(tmp_path: Path) -> Path:
    target = tmp_path / "examples"
    shutil.copytree(REPO / "examples", target, ignore=shutil.ignore_patterns("models", "out"))
    keys = reelgraph_cli("keys", "init", cwd=target)
    assert keys.returncode == 0, keys.stderr
    return target


def run(examples: Path, graph: str, *overrides: str, out: Path | None = None) -> tuple[int, dict]:
    args = [item for override in overrides for item in ("--set", override)]
    if out is not None:
        args += ["--out", str(out)]
    result = reelgraph_cli("run", graph, "--json", *args, cwd=examples, env=UNSET_KEYS)
    assert result.stdout, result.stderr
    return result.returncode, json.loads(result.stdout)


def artifact_path(examples: Path, sha: str) -> Path:
    return Path(json.loads(reelgraph_cli("artifacts", "show", sha, "--json", cwd=examples).stdout)["path"])


def verified(examples: Path, video: Path) -> dict:
    result = reelgraph_cli("verify", str(video), "--json", cwd=examples)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def test_the_explainer_renders_a_signed_mp4_that_artifacts_show_locates(examples, tmp_path):
    code, result = run(examples, "explainer.yaml", *SMALL_EXPLAINER, out=tmp_path / "out")
    assert code == 0, result
    sha = result["nodes"]["video"]["outputs"]["video"]
    shown = json.loads(reelgraph_cli("artifacts", "show", sha, "--json", cwd=examples).stdout)
    assert shown["kind"] == "video" and shown["mime"] == "video/mp4"
    video = ffprobe(Path(shown["path"]), count_frames=True).video
    assert (video.codec, video.width, video.height, video.pix_fmt) == ("h264", 320, 180, "yuv420p")
    assert video.fps == 24 and video.frames == 48  # 2 s at 12 fps, interpolated to 24 fps
    # Only the signed file leaves the store: the unsigned encode is an intermediate.
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["video.video.mp4"]


def test_every_video_the_examples_write_verifies_and_names_its_run(examples, tmp_path):
    """What `make demo` promises: each MP4 in out/ verifies, one flipped byte fails, lineage finds the run."""
    outputs = {}
    for graph, overrides in (("explainer.yaml", SMALL_EXPLAINER), ("campaign.yaml", SMALL_CAMPAIGN)):
        code, result = run(examples, graph, *overrides, out=tmp_path / graph)
        assert code == 0, result
        outputs.update({path: result["run_id"] for path in (tmp_path / graph).glob("*.mp4")})
    assert len(outputs) == 5  # the explainer and four locales
    for video, run_id in outputs.items():
        report = verified(examples, video)
        assert report["lineage"]["run_id"] == run_id
        lineage = reelgraph_cli("lineage", str(video), "--json", cwd=examples)
        assert lineage.returncode == 0 and json.loads(lineage.stdout)["run_id"] == run_id, lineage.stderr
    damaged = tmp_path / "damaged.mp4"
    data = bytearray(next(iter(outputs)).read_bytes())
    start, end = mdat_payload(bytes(data))
    data[(start + end) // 2] ^= 0x01  # one bit of the video data
    damaged.write_bytes(bytes(data))
    assert reelgraph_cli("verify", str(damaged), "--json", cwd=examples).returncode == 1


def test_a_graph_that_signs_without_a_key_fails_at_validation_with_the_command_to_run(examples):
    shutil.rmtree(examples / ".reelgraph" / "keys")
    code, result = run(examples, "explainer.yaml", *SMALL_EXPLAINER)
    assert code == 2 and result["status"] == "invalid"
    problems = {(e["node"], e["field"], e["code"]) for e in result["errors"]}
    assert problems == {("video", "key", "signing_key_missing"), ("video", "certificate", "signing_key_missing")}
    assert all("reelgraph keys init" in e["message"] for e in result["errors"])
    assert not (examples / ".reelgraph" / "store").exists() or not any((examples / ".reelgraph" / "store").rglob("*.mp4"))


def test_the_campaign_renders_four_tagged_watermarked_videos_sharing_upstream_work(examples):
    code, result = run(examples, "campaign.yaml", *SMALL_CAMPAIGN)
    assert code == 0, {node: run_["error"] for node, run_ in result["nodes"].items() if run_["error"]} or result
    nodes = result["nodes"]
    assert [n for n in nodes if n.startswith(("photo", "camera", "mark"))] == ["photo", "camera", "mark"]  # shared
    assert nodes["camera"]["status"] == "succeeded"
    languages = {"en": "eng", "es": "spa", "ca": "cat", "ar": "ara"}
    for locale, tag in languages.items():
        path = artifact_path(examples, nodes[f"video[locale={locale}]"]["outputs"]["video"])
        info = ffprobe(path)
        assert sorted(s.type for s in info.streams) == ["audio", "subtitle", "video"]
        assert info.audio.language == tag and info.subtitle.language == tag
        detected = reelgraph_cli("watermark", "detect", str(path), "--json", cwd=examples)
        assert detected.returncode == 0 and json.loads(detected.stdout)["payload"] == "reelgraph", detected.stdout

    catalog = examples / "campaign" / "es.xlf"
    catalog.write_text(catalog.read_text(encoding="utf-8").replace("</xliff>", "<!-- reviewed --></xliff>"),
                       encoding="utf-8")
    code, again = run(examples, "campaign.yaml", *SMALL_CAMPAIGN)
    # Signing never caches (each signature is new); of the rest, only the Spanish branch re-runs.
    executed = {n for n, v in again["nodes"].items() if v["status"] != "cached" and not n.startswith("video[")}
    assert executed == {f"{node}[locale=es]" for node in ("tr", "vo", "subs", "captions", "encode")}


def test_require_approved_fails_only_the_locale_without_approved_strings(examples):
    code, result = run(examples, "campaign.yaml", *SMALL_CAMPAIGN, "tr.require_approved=true")
    assert code == 1 and result["status"] == "failed"
    statuses = {n: v["status"] for n, v in result["nodes"].items()}
    assert statuses["tr[locale=es]"] == "failed" and statuses["encode[locale=es]"] == "skipped"
    assert "'es'" in result["nodes"]["tr[locale=es]"]["error"]
    assert statuses["video[locale=ar]"] == "succeeded"  # its catalog approves every string


def test_the_directing_example_launches_the_rocket_and_cleans_the_flickering_clip(examples):
    code, result = run(examples, "directing.yaml", "launch.seconds=0.5", "clean.seconds=2")
    assert code == 0, result
    nodes = result["nodes"]

    def artifact(node: str, port: str) -> Path:
        sha = nodes[node]["outputs"][port]
        return Path(json.loads(reelgraph_cli("artifacts", "show", sha, "--json", cwd=examples).stdout)["path"])

    for node, size in (("launch_video", (640, 426)), ("refined_video", (480, 320))):
        video = ffprobe(artifact(node, "video")).video
        assert (video.codec, video.width, video.height) == ("h264", *size)
        assert verified(examples, artifact(node, "video"))["lineage"]["run_id"] == result["run_id"]  # signed
    before = json.loads(artifact("quality_before", "report").read_text())
    after = json.loads(artifact("quality_after", "report").read_text())
    assert after["flicker"] < before["flicker"] / 5 and after["warp_error"]["mean"] < before["warp_error"]["mean"]
