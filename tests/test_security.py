"""Security: a document cannot reach outside its workspace, load pickled code, ask for unbounded
work, or have any of its fields run as code.

Paths are refused twice: when the document is planned (validation names the field) and by the
node itself at run time (`ctx.resolve_path`), so a plan built some other way is still jailed.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from reelgraph.graph import GraphInvalid, apply_overrides, parse_text, plan_document, validate_document
from reelgraph.nodes import Cue, Frames, NodeError, Subtitles, Workspace, default_registry
from tests.conftest import REPO
from tests.node_harness import tiny_model_builder, NodeHarness

ASSET = REPO / "examples" / "assets" / "coffee.png"
SCRIPT = REPO / "examples" / "campaign" / "script.yaml"
CATALOG = REPO / "examples" / "campaign" / "es.xlf"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "workspace"
    root.mkdir()
    shutil.copy(ASSET, root / "inside.png")
    shutil.copy(SCRIPT, root / "script.yaml")
    return root


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder next to the workspace holding one file of every kind a document names."""
    root = tmp_path / "outside"
    root.mkdir()
    shutil.copy(ASSET, root / "photo.png")
    shutil.copy(CATALOG, root / "es.xlf")
    shutil.copy(SCRIPT, root / "script.yaml")
    (root / "font.ttf").write_bytes(b"not really a font")
    (root / "weights.safetensors").write_bytes(b"not really weights")
    (root / "key.pem").write_text("-----BEGIN PRIVATE KEY-----\n")
    return root


# Every file param of the built-in nodes, with a document node using it and the file it names.
FILE_PARAMS = {
    "image.load paths": ({"type": "image.load", "params": {"paths": ["{path}"]}}, "photo.png", "paths.0"),
    "l10n.translate script": ({"type": "l10n.translate", "params": {"script": "{path}", "target": "es"}},
                              "script.yaml", "script"),
    "l10n.translate catalogs": ({"type": "l10n.translate", "params": {"script": "script.yaml", "target": "es",
                                                                      "catalogs": ["{path}"]}}, "es.xlf", "catalogs.0"),
    "frames.upscale weights": ({"type": "frames.upscale", "params": {"method": "model", "weights": "{path}"}},
                               "weights.safetensors", "weights"),
    "l10n.captions font": ({"type": "l10n.captions", "params": {"font": "{path}"}}, "font.ttf", "font"),
    "provenance.sign key": ({"type": "provenance.sign", "params": {"key": "{path}"}}, "key.pem", "key"),
}


def escape_path(how: str, file_name: str, workspace: Path, outside: Path) -> str:
    """A path written in a document that leads to `outside/file_name`."""
    if how == "dotdot":
        return f"../outside/{file_name}"
    if how == "absolute":
        return str(outside / file_name)
    link = workspace / f"link-{file_name.replace('/', '-')}"  # a real symlink in the workspace, pointing out
    link.symlink_to(outside / file_name)
    return link.name


def document_with(node: dict, path: str) -> dict:
    params = {k: ([p.replace("{path}", path) for p in v] if isinstance(v, list) else
                  v.replace("{path}", path) if isinstance(v, str) else v) for k, v in node["params"].items()}
    return {"reelgraph": 1, "name": "escape", "nodes": {"n": {"type": node["type"], "params": params}}}


def path_issues(document: dict, workspace: Path) -> list:
    _, issues = validate_document(document, default_registry(), Workspace(workspace))
    return [(issue.code, issue.field) for issue in issues if "path" in issue.code or "file" in issue.code]


@pytest.mark.parametrize("how", ["dotdot", "absolute", "symlink"])
@pytest.mark.parametrize("param", sorted(FILE_PARAMS))
def test_a_document_path_cannot_leave_the_workspace(param, how, workspace, outside, monkeypatch):
    monkeypatch.delenv("REELGRAPH_ALLOWED_DIRS", raising=False)
    node, file_name, field = FILE_PARAMS[param]
    document = document_with(node, escape_path(how, file_name, workspace, outside))
    assert path_issues(document, workspace) == [("path_outside_workspace", field)]


@pytest.mark.parametrize("how", ["dotdot", "absolute", "symlink"])
@pytest.mark.parametrize("param", sorted(FILE_PARAMS))
def test_reelgraph_allowed_dirs_opens_that_folder(param, how, workspace, outside, monkeypatch):
    monkeypatch.setenv("REELGRAPH_ALLOWED_DIRS", str(outside))
    node, file_name, _ = FILE_PARAMS[param]
    document = document_with(node, escape_path(how, file_name, workspace, outside))
    assert path_issues(document, workspace) == []


def test_an_allowed_folder_does_not_allow_its_namesake_sibling(workspace, tmp_path, outside, monkeypatch):
    sibling = tmp_path / "outside-evil"
    sibling.mkdir()
    shutil.copy(ASSET, sibling / "photo.png")
    monkeypatch.setenv("REELGRAPH_ALLOWED_DIRS", str(outside))
    document = document_with(FILE_PARAMS["image.load paths"][0], str(sibling / "photo.png"))
    assert path_issues(document, workspace) == [("path_outside_workspace", "paths.0")]


def test_a_symlinked_folder_inside_the_workspace_is_refused(workspace, outside, monkeypatch):
    monkeypatch.delenv("REELGRAPH_ALLOWED_DIRS", raising=False)
    (workspace / "assets").symlink_to(outside, target_is_directory=True)
    document = document_with(FILE_PARAMS["image.load paths"][0], "assets/photo.png")
    assert path_issues(document, workspace) == [("path_outside_workspace", "paths.0")]


def test_a_symlink_that_stays_inside_the_workspace_is_fine(workspace, monkeypatch):
    monkeypatch.delenv("REELGRAPH_ALLOWED_DIRS", raising=False)
    (workspace / "alias.png").symlink_to(workspace / "inside.png")
    plan = plan_document(document_with(FILE_PARAMS["image.load paths"][0], "alias.png"), workspace_root=workspace)
    assert list(plan.nodes) == ["n"]


# --- the node itself refuses at run time, whatever the plan said -----------------------------

def one_frame() -> Frames:
    return Frames.from_arrays([np.zeros((16, 16, 3), np.uint8)], fps=1)


RUN_TIME_CASES = {
    "image.load": ("image.load", {"paths": ["{path}"]}, "photo.png", {}),
    "frames.upscale weights": ("frames.upscale", {"method": "model", "weights": "{path}"}, "weights.safetensors",
                               {"frames": one_frame}),
    "keyframe.generate model": ("keyframe.generate", {"model": "{path}", "prompt": "a cup"}, "models/tiny-sd", {}),
    "l10n.translate script": ("l10n.translate", {"script": "{path}", "target": "es", "backend": "none"},
                              "script.yaml", {}),
    "l10n.translate catalogs": ("l10n.translate", {"script": "script.yaml", "target": "es", "backend": "none",
                                                   "catalogs": ["{path}"]}, "es.xlf", {}),
    "l10n.captions font": ("l10n.captions", {"font": "{path}"}, "font.ttf",
                           {"frames": one_frame, "subtitles": lambda: Subtitles([Cue(0, 1, "hola")], "es")}),
}


@pytest.mark.parametrize("how", ["dotdot", "absolute", "symlink"])
@pytest.mark.parametrize("case", sorted(RUN_TIME_CASES))
def test_a_node_refuses_a_path_outside_the_workspace_when_it_runs(case, how, workspace, outside, monkeypatch):
    monkeypatch.delenv("REELGRAPH_ALLOWED_DIRS", raising=False)
    node_type, params, file_name, inputs = RUN_TIME_CASES[case]
    (outside / "models" / "tiny-sd").mkdir(parents=True)
    path = escape_path(how, file_name, workspace, outside)
    params = {k: ([p.replace("{path}", path) for p in v] if isinstance(v, list) else
                  v.replace("{path}", path) if isinstance(v, str) else v) for k, v in params.items()}
    with pytest.raises(NodeError) as error:
        NodeHarness(workspace).run(node_type, params, **{port: make() for port, make in inputs.items()})
    assert error.value.code == "path_outside_workspace"
    assert "REELGRAPH_ALLOWED_DIRS" in error.value.hint


def test_a_node_reads_an_allowed_folder(workspace, outside, monkeypatch):
    monkeypatch.setenv("REELGRAPH_ALLOWED_DIRS", str(outside))
    result = NodeHarness(workspace).run("image.load", {"paths": [str(outside / "photo.png")]})
    assert np.array_equal(np.asarray(result["image"]), np.asarray(Image.open(ASSET).convert("RGB")))


# --- pickled weights ---------------------------------------------------------------------------

class CodeInAPickle:
    """Unpickling this runs a shell command: what a malicious .pth file does."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("suffix", [".pth", ".pt", ".ckpt", ".bin"])
def test_pickled_weights_with_code_are_refused_and_never_run(suffix, workspace):
    import torch

    marker = workspace / "pwned"
    torch.save({"conv.weight": torch.zeros(3, 3, 3, 3), "payload": CodeInAPickle(marker)},
               workspace / f"upscaler{suffix}")
    with pytest.raises(NodeError) as error:
        NodeHarness(workspace).run("frames.upscale", {"method": "model", "weights": f"upscaler{suffix}"},
                                   frames=one_frame())
    assert error.value.code == "unsafe_weights"
    assert "safetensors" in error.value.hint
    assert not marker.exists()


@pytest.fixture(scope="module")
def tiny_sd(tmp_path_factory) -> Path:
    builder = tiny_model_builder()
    return builder.build_tiny_model("tiny-sd", tmp_path_factory.mktemp("models"))


def test_a_diffusers_folder_with_pickled_code_in_its_weights_is_refused(tiny_sd, workspace):
    import torch

    model = workspace / "models" / "evil-sd"
    shutil.copytree(tiny_sd, model)
    marker = workspace / "pwned"
    (model / "unet" / "diffusion_pytorch_model.safetensors").unlink()
    torch.save({"conv_in.weight": torch.zeros(1), "payload": CodeInAPickle(marker)},
               model / "unet" / "diffusion_pytorch_model.bin")
    with pytest.raises(NodeError) as error:
        NodeHarness(workspace).run("keyframe.generate", {"model": "models/evil-sd", "prompt": "a cup",
                                                         "width": 64, "height": 64, "steps": 1})
    assert error.value.code == "model_load_failed"
    assert "diffusion_pytorch_model.bin" in error.value.message  # torch.load(weights_only=True) refused it
    assert not marker.exists()


# --- params have limits ------------------------------------------------------------------------

LIMITS = [
    ("camera.move", "seconds", 1e6, "less than or equal to 3600"),
    ("camera.move", "fps", 1000, "less than or equal to 240"),
    ("camera.move", "width", 100_000, "less than or equal to 8192"),
    ("camera.move", "path", [{"zoom": 1.0}] * 1001, "at most 1000 items"),
    ("keyframe.generate", "width", 4096, "less than or equal to 2048"),
    ("keyframe.generate", "steps", 1000, "less than or equal to 200"),
    ("keyframe.generate", "count", 100, "less than or equal to 16"),
    ("keyframe.generate", "seed", 2**40, "less than or equal to 4294967295"),
    ("video.generate", "frames", 1000, "less than or equal to 128"),
    ("video.generate", "steps", 1000, "less than or equal to 200"),
    ("video.generate", "height", 4096, "less than or equal to 2048"),
    ("frames.interpolate", "factor", 100, "less than or equal to 16"),
    ("frames.interpolate", "target_fps", 10_000, "less than or equal to 480"),
    ("frames.upscale", "scale", 100, "less than or equal to 16"),
    ("frames.upscale", "width", 100_000, "less than or equal to 16384"),
    ("l10n.voiceover", "words_per_minute", 10_000, "less than or equal to 450"),
    ("l10n.voiceover", "line_pause", 1000, "less than or equal to 10"),
    ("l10n.voiceover", "scene_padding", 1000, "less than or equal to 30"),
    ("l10n.subtitles", "min_cue_seconds", 100, "less than or equal to 10"),
    ("l10n.subtitles", "max_line_chars", 1000, "less than or equal to 120"),
    ("l10n.captions", "font_scale", 5, "less than or equal to 0.5"),
    ("video.encode", "title", "x" * 2000, "at most 1000 characters"),
    ("util.sleep", "seconds", 1e6, "less than or equal to 3600"),
]
REQUIRED = {"keyframe.generate": {"model": "m"}, "video.generate": {"model": "m"}}


@pytest.mark.parametrize(("node_type", "param", "value", "says"), LIMITS,
                         ids=[f"{t}.{p}" for t, p, _, _ in LIMITS])
def test_a_param_past_its_limit_is_a_clear_validation_error(node_type, param, value, says):
    document = {"reelgraph": 1, "name": "limits", "nodes": {
        "n": {"type": node_type, "params": {**REQUIRED.get(node_type, {}), param: value}}}}
    _, issues = validate_document(document, default_registry())
    param_issues = [issue for issue in issues if issue.code == "invalid_param"]
    assert [(issue.node, issue.field) for issue in param_issues] == [("n", param)]
    assert says in param_issues[0].message


def test_an_upscale_whose_output_would_pass_16k_fails_before_any_work(harness):
    tall = Frames.from_arrays([np.zeros((128, 64, 3), np.uint8)], fps=1)
    with pytest.raises(NodeError) as error:
        harness.run("frames.upscale", {"width": 16384}, frames=tall)  # the height would be 32768
    assert "32768" in error.value.message and "16384 per side" in error.value.message
    assert error.value.hint == "ask for a smaller scale or size"


# --- no field is code --------------------------------------------------------------------------

@pytest.mark.parametrize("tag", ["!!python/object/apply:os.system ['touch {marker}']", "!!python/name:os.system",
                                 "!!python/object/new:os.system ['touch {marker}']",
                                 "!!python/module:os", "!!python/object:__main__.X {}"])
def test_yaml_tags_that_build_python_objects_are_a_parse_error(tag, tmp_path):
    marker = tmp_path / "pwned"
    text = f"reelgraph: 1\nname: n\nnodes:\n  a:\n    type: util.value\n    params: {{value: {tag}}}\n"
    with pytest.raises(GraphInvalid) as error:
        parse_text(text.replace("{marker}", str(marker)), filename="g.yaml")
    assert [issue.code for issue in error.value.issues] == ["parse_error"]
    assert not marker.exists()


def test_a_python_tag_given_with_set_stays_literal_text(tmp_path):
    document = {"reelgraph": 1, "name": "n", "nodes": {"a": {"type": "util.value"}}}
    marker = tmp_path / "pwned"
    overridden = apply_overrides(document, [f"a.value=!!python/object/apply:os.system ['touch {marker}']"])
    assert overridden["nodes"]["a"]["params"]["value"] == f"!!python/object/apply:os.system ['touch {marker}']"
    assert not marker.exists()


def test_a_matrix_reference_holding_code_stays_literal_text(tmp_path):
    label = "${__import__('os').system('touch pwned')}"
    plan = plan_document({"reelgraph": 1, "name": "n", "nodes": {"a": {"type": "util.noop",
                                                                       "params": {"label": label}}}},
                         workspace_root=tmp_path)
    assert plan.nodes["a"].params["label"] == label
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize("template", ["{__import__('os').system('touch pwned')}", "{text.__class__}",
                                      "{text.__class__.__mro__}", "{text[0]}", "{text!r}", "{text:>999999999}",
                                      "{0}", "{}", "unbalanced { brace", "}"])
def test_a_template_fills_only_plain_names(template, harness):
    with pytest.raises(NodeError) as error:
        harness.run("text.template", {"template": template}, text="hello")
    assert error.value.param == "template"
    assert "plain {name} placeholder" in error.value.message
    assert not (harness.workspace.root / "pwned").exists()


def test_a_template_fills_names_and_writes_doubled_braces_as_braces(harness):
    result = harness.run("text.template", {"template": "{{text}} is {text}; {n} {{}}", "values": {"n": 3}},
                         text="hello")
    assert result["text"] == "{text} is hello; 3 {}"
