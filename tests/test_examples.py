"""The example graphs, end to end through the CLI, at reduced sizes so the suite stays quick."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO, reelgraph_cli
from tests.media import ffprobe

SMALL_EXPLAINER = ["camera.seconds=2", "camera.width=160", "camera.height=90", "upscale.width=320",
                   "upscale.height=180"]
SMALL_CAMPAIGN = ["camera.seconds=3", "camera.width=192", "camera.height=108", "camera.fps=12"]


@pytest.fixture
def examples(tmp_path: Path) -> Path:
    target = tmp_path / "examples"
    shutil.copytree(REPO / "examples", target, ignore=shutil.ignore_patterns("models", "out"))
    return target


def run(examples: Path, graph: str, *overrides: str) -> tuple[int, dict]:
    args = [item for override in overrides for item in ("--set", override)]
    result = reelgraph_cli("run", graph, "--json", *args, cwd=examples)
    assert result.stdout, result.stderr
    return result.returncode, json.loads(result.stdout)


def test_the_explainer_renders_an_mp4_that_artifacts_show_locates(examples):
    code, result = run(examples, "explainer.yaml", *SMALL_EXPLAINER)
    assert code == 0, result
    sha = result["nodes"]["video"]["outputs"]["video"]
    shown = json.loads(reelgraph_cli("artifacts", "show", sha, "--json", cwd=examples).stdout)
    assert shown["kind"] == "video" and shown["mime"] == "video/mp4"
    video = ffprobe(Path(shown["path"]), count_frames=True).video
    assert (video.codec, video.width, video.height, video.pix_fmt) == ("h264", 320, 180, "yuv420p")
    assert video.fps == 24 and video.frames == 48  # 2 s at 12 fps, interpolated to 24 fps


def test_the_campaign_renders_four_tagged_videos_sharing_upstream_work(examples):
    code, result = run(examples, "campaign.yaml", *SMALL_CAMPAIGN)
    assert code == 0, result
    nodes = result["nodes"]
    assert [n for n in nodes if n.startswith(("photo", "camera"))] == ["photo", "camera"]  # shared, once
    assert nodes["camera"]["status"] == "succeeded"
    languages = {"en": "eng", "es": "spa", "ca": "cat", "ar": "ara"}
    for locale, tag in languages.items():
        sha = nodes[f"video[locale={locale}]"]["outputs"]["video"]
        path = Path(json.loads(reelgraph_cli("artifacts", "show", sha, "--json", cwd=examples).stdout)["path"])
        info = ffprobe(path)
        assert sorted(s.type for s in info.streams) == ["audio", "subtitle", "video"]
        assert info.audio.language == tag and info.subtitle.language == tag

    catalog = examples / "campaign" / "es.xlf"
    catalog.write_text(catalog.read_text(encoding="utf-8").replace("</xliff>", "<!-- reviewed --></xliff>"),
                       encoding="utf-8")
    code, again = run(examples, "campaign.yaml", *SMALL_CAMPAIGN)
    executed = {n for n, v in again["nodes"].items() if v["status"] != "cached"}
    assert executed == {f"{node}[locale=es]" for node in ("tr", "vo", "subs", "captions", "video")}


def test_require_approved_fails_only_the_locale_without_approved_strings(examples):
    code, result = run(examples, "campaign.yaml", *SMALL_CAMPAIGN, "tr.require_approved=true")
    assert code == 1 and result["status"] == "failed"
    statuses = {n: v["status"] for n, v in result["nodes"].items()}
    assert statuses["tr[locale=es]"] == "failed" and statuses["video[locale=es]"] == "skipped"
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
    before = json.loads(artifact("quality_before", "report").read_text())
    after = json.loads(artifact("quality_after", "report").read_text())
    assert after["flicker"] < before["flicker"] / 5 and after["warp_error"]["mean"] < before["warp_error"]["mean"]
