"""Port kinds and port declarations: what flows along a graph's edges.

Every value that crosses an edge is stored as an artifact; the port kind names the value's
Python type inside a node and the codec that turns it into bytes (see `nodes.codecs`).
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class PortKind(StrEnum):
    TEXT = "text"            # str
    JSON = "json"            # any JSON-compatible value
    EMBEDDING = "embedding"  # dict[str, torch.Tensor], stored as safetensors
    IMAGE = "image"          # PIL.Image.Image
    IMAGES = "images"        # list[PIL.Image.Image]
    FRAMES = "frames"        # nodes.values.Frames: a streamed sequence of RGB frames with an fps
    AUDIO = "audio"          # nodes.values.MediaFile (a WAV or other audio file)
    SUBTITLES = "subtitles"  # nodes.values.Subtitles: timed cues with a language
    VIDEO = "video"          # nodes.values.MediaFile (an MP4)


# A few kinds convert into others without loss; validation accepts these edges.
COMPATIBLE_KINDS: dict[PortKind, frozenset[PortKind]] = {
    PortKind.IMAGE: frozenset({PortKind.IMAGES}),  # one image is a list of one
    PortKind.IMAGES: frozenset({PortKind.FRAMES}),  # a list of images is a frame sequence
}


def kinds_compatible(source: PortKind, target: PortKind) -> bool:
    return source == target or target in COMPATIBLE_KINDS.get(source, frozenset())


@dataclass(frozen=True)
class Input:
    """An input port. `optional` inputs may be left unconnected (the node gets None)."""

    kind: PortKind
    description: str = ""
    optional: bool = False
    # A gathering input takes a list of values of `kind`: every expansion of an upstream node over
    # a matrix variable (`clip[shot=*].frames`), in the order of the matrix's values.
    gather: bool = False


@dataclass(frozen=True)
class Output:
    kind: PortKind
    description: str = ""
