"""Storyboards: a list of shots with narration, compiled into a graph document.

    storyboard: 1
    title: How a photograph is made
    language: en                  # the narration's language
    locales: [en, es]             # one video per locale (translated, voiced)
    size: [640, 360]
    fps: 24
    shots:
      - id: coffee
        image: assets/coffee.png          # or prompt: "..." with model: (keyframe.generate)
        duration: 4                       # seconds on screen
        camera: [{zoom: 1.0}, {zoom: 1.2, pan: [0.05, 0]}]
        narration: Every photograph starts with light.
        transition: {kind: crossfade, seconds: 0.5}    # into the next shot

The graph fans out over shots (a `shot` matrix of records: `${shot.image}`), films each shot with
camera.move, translates and voices the narration once per locale (l10n.translate,
l10n.voiceover: scene i is shot i), and fans back in: sequence.assemble gathers
`clip[shot=*].frames`, places each shot's narration at its start, and video.encode writes one MP4
per locale. Pure: it builds a document and touches no file.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from reelgraph.graph.document import FORMAT_VERSION, StrictLoader
from reelgraph.graph.issues import GraphInvalid, ValidationIssue

STORYBOARD_VERSION = 1
SHOT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class CameraPoint(BaseModel):
    model_config = ConfigDict(extra="allow")   # camera.move's keyframe fields; it validates them


class Transition(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["cut", "crossfade", "dip"] = "cut"
    seconds: float = Field(0.0, ge=0, le=30)


class Shot(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(description="A stable name: letters, digits, - and _")
    image: str | None = Field(None, description="A picture in the storyboard's folder")
    prompt: str | None = Field(None, description="Or what to draw (keyframe.generate with `model`)")
    model: str | None = Field(None, description="The text-to-image model for `prompt`")
    seed: int = Field(0, ge=0, le=2**32 - 1)
    duration: float = Field(gt=0, le=600, description="Seconds on screen (before transitions overlap)")
    camera: list[dict[str, Any]] = Field(default_factory=lambda: [{"zoom": 1.0}, {"zoom": 1.1}])
    narration: str = Field("", max_length=10_000)
    transition: Transition = Field(default_factory=Transition, description="Into the next shot")

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not SHOT_ID.match(value):
            raise ValueError("use 1 to 64 letters, digits, '-' or '_'")
        return value

    @model_validator(mode="after")
    def _one_picture_source(self) -> Shot:
        if (self.image is None) == (self.prompt is None):
            raise ValueError("give the shot either an 'image' or a 'prompt' (with 'model')")
        if self.prompt is not None and not self.model:
            raise ValueError("a shot drawn from a 'prompt' needs a 'model'")
        return self


class Storyboard(BaseModel):
    model_config = ConfigDict(extra="forbid")
    storyboard: int = STORYBOARD_VERSION
    title: str = Field(min_length=1, max_length=200)
    language: str = Field("en", description="The narration's language")
    locales: list[str] = Field(default_factory=lambda: ["en"], min_length=1)
    size: tuple[int, int] = (640, 360)
    fps: float = Field(24.0, ge=1, le=120)
    backend: Literal["apertium", "none"] = "apertium"
    sign: bool = Field(False, description="End each video in provenance.sign (needs a signing key)")
    shots: list[Shot] = Field(min_length=1, max_length=500)

    @field_validator("shots")
    @classmethod
    def _unique_ids(cls, shots: list[Shot]) -> list[Shot]:
        ids = [shot.id for shot in shots]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"shot ids must be unique; used twice: {', '.join(twice)}")
        return shots


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "storyboard"


def _picture_nodes(board: Storyboard) -> dict[str, dict]:
    """`still` per shot: a photograph, or a keyframe drawn from the shot's prompt."""
    if all(shot.image for shot in board.shots):
        return {"still": {"type": "image.load", "params": {"paths": ["${shot.image}"]}}}
    if all(shot.prompt for shot in board.shots):
        width, height = (side - side % 8 for side in board.size)
        return {"still": {"type": "keyframe.generate",
                          "params": {"model": "${shot.model}", "prompt": "${shot.prompt}", "seed": "${shot.seed}",
                                     "width": width, "height": height}}}
    raise GraphInvalid([ValidationIssue("invalid_storyboard", "mix of photographed and drawn shots: give every "
                                        "shot an 'image', or every shot a 'prompt'", field="shots")])


def compile_storyboard(board: Storyboard) -> dict:
    """The graph document that renders the storyboard, one MP4 per locale."""
    width, height = board.size
    records = [{key: value for key, value in shot.model_dump(include={"id", "image", "prompt", "model", "seed",
                                                                       "duration", "camera"}).items()
                if value is not None} for shot in board.shots]
    script = {"title": board.title, "language": board.language,
              "scenes": [{"id": shot.id, "narration": [shot.narration] if shot.narration else [],
                          "duration": shot.duration} for shot in board.shots]}
    transitions = [shot.transition.model_dump() for shot in board.shots[:-1]]
    assemble_inputs = {"shots": "clip[shot=*].frames", "narration": "voice.audio",
                       "narration_timing": "voice.timing"}
    nodes: dict[str, dict] = {
        **_picture_nodes(board),
        "clip": {"type": "camera.move", "inputs": {"images": "still.images"},
                 "params": {"path": "${shot.camera}", "seconds": "${shot.duration}", "fps": board.fps,
                            "width": width, "height": height}},
        "script": {"type": "util.value", "params": {"value": script}},
        "narration": {"type": "l10n.translate", "inputs": {"strings": "script.value"},
                      "params": {"target": "${locale}", "source": board.language, "backend": board.backend}},
        "voice": {"type": "l10n.voiceover", "inputs": {"script": "narration.script"},
                  "params": {"scene_padding": 0.0}},
    }
    nodes["sequence"] = {"type": "sequence.assemble", "inputs": assemble_inputs,
                         "params": {"transitions": transitions}}
    nodes["video"] = {"type": "video.encode", "inputs": {"frames": "sequence.frames", "audio": "sequence.audio"},
                      "params": {"audio_language": "${locale}", "title": board.title}}
    if board.sign:
        nodes["signed"] = {"type": "provenance.sign", "inputs": {"video": "video.video"}}
    return {"reelgraph": FORMAT_VERSION, "name": _slug(board.title),
            "description": f"Storyboard '{board.title}': {len(board.shots)} shots, locales {', '.join(board.locales)}",
            "matrix": {"shot": records, "locale": list(board.locales)}, "nodes": nodes}


def load_storyboard(path: str | Path) -> Storyboard:
    """Parse and check a storyboard file; every problem comes back at once as a GraphInvalid."""
    import yaml

    path = Path(path)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=StrictLoader)  # noqa: S506 (safe loader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise GraphInvalid([ValidationIssue("parse_error", f"cannot read the storyboard '{path}': {error}")]) from None
    try:
        return Storyboard.model_validate(raw)
    except ValidationError as error:
        raise GraphInvalid([ValidationIssue("invalid_storyboard", item["msg"],
                                            field=".".join(str(part) for part in item["loc"]) or None)
                            for item in error.errors()]) from None
