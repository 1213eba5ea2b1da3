"""Port kinds and port declarations: what flows along a graph's edges.

Everything about a port kind lives in its one `PortKindSpec` entry in `PORT_KINDS` below: the
Python type a node receives and returns, the codec that turns the value into an artifact and
back, the artifact's MIME type, the file extension `--out` exports it with, and the kinds it
converts into without loss. Validation (which edges connect), the runner (encoding outputs,
decoding inputs), export and the UI schemas all read this table, so adding a port kind is one
enum value and one entry here (plus its codec class in `nodes.codecs` if no existing one fits).

Codecs are built on first use: they import numpy, which listing and validating graphs never need.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reelgraph.nodes.codecs import Codec, Encoded
    from reelgraph.nodes.context import BlobStore


class PortKind(StrEnum):
    TEXT = "text"
    JSON = "json"
    EMBEDDING = "embedding"
    IMAGE = "image"
    IMAGES = "images"
    FRAMES = "frames"
    AUDIO = "audio"
    SUBTITLES = "subtitles"
    VIDEO = "video"


def _image_as_images(image: Any) -> list:
    return [image]  # one image is a list of one


def _images_as_frames(images: list) -> Any:
    import numpy as np

    from reelgraph.nodes.values import Frames

    return Frames.from_arrays([np.asarray(image.convert("RGB")) for image in images], fps=1.0)


@dataclass(frozen=True)
class PortKindSpec:
    kind: PortKind
    python_type: str             # what a node's run() receives and returns on a port of this kind
    mime: str                    # the artifact's MIME type (a media file's own type wins, see MediaFile)
    codec_class: str             # its Codec class in nodes.codecs
    extension: str | None        # `--out` writes <node>.<port>.<extension>; None: not exported
    export_parts: bool = False   # export each blob the manifest lists (<node>.<port>-<i>.<extension>)
    # Kinds a value of this kind can be read as, and how: validation accepts these edges.
    converts_to: Mapping[PortKind, Callable[[Any], Any]] = field(default_factory=dict)

    @cached_property
    def codec(self) -> Codec:
        from reelgraph.nodes import codecs

        return getattr(codecs, self.codec_class)(self.mime)


PORT_KINDS: dict[PortKind, PortKindSpec] = {spec.kind: spec for spec in [
    PortKindSpec(PortKind.TEXT, "str", "text/plain; charset=utf-8", "TextCodec", "txt"),
    PortKindSpec(PortKind.JSON, "any JSON-compatible value (NaN and infinities are not JSON)",
                 "application/json", "JsonCodec", "json"),
    PortKindSpec(PortKind.EMBEDDING, "dict[str, torch.Tensor]", "application/x-safetensors", "EmbeddingCodec",
                 "safetensors"),
    PortKindSpec(PortKind.IMAGE, "PIL.Image.Image", "image/png", "ImageCodec", "png",
                 converts_to={PortKind.IMAGES: _image_as_images}),
    PortKindSpec(PortKind.IMAGES, "list[PIL.Image.Image]", "application/vnd.reelgraph.images+json", "ImagesCodec",
                 "png", export_parts=True, converts_to={PortKind.FRAMES: _images_as_frames}),
    # Frames are intermediate by nature (encode them with video.encode to get a file).
    PortKindSpec(PortKind.FRAMES, "reelgraph.nodes.values.Frames (streamed RGB frames with an fps)",
                 "application/vnd.reelgraph.frames+json", "FramesCodec", None),
    PortKindSpec(PortKind.AUDIO, "reelgraph.nodes.values.MediaFile (a WAV or other audio file)", "audio/wav",
                 "MediaFileCodec", "wav"),
    PortKindSpec(PortKind.SUBTITLES, "reelgraph.nodes.values.Subtitles (timed cues with a language)",
                 "application/vnd.reelgraph.subtitles+json", "SubtitlesCodec", "json"),
    PortKindSpec(PortKind.VIDEO, "reelgraph.nodes.values.MediaFile (an MP4)", "video/mp4", "MediaFileCodec", "mp4"),
]}


def port_kind(kind: str) -> PortKindSpec:
    """The spec of a kind, by enum member or name; KeyError for a kind this version does not know."""
    return PORT_KINDS[PortKind(kind)]


def kinds_compatible(source: PortKind, target: PortKind) -> bool:
    return source == target or target in PORT_KINDS[source].converts_to


def encode_value(kind: PortKind, value: Any, store: BlobStore) -> Encoded:
    return PORT_KINDS[kind].codec.encode(value, store)


def decode_value(stored_kind: PortKind, wanted_kind: PortKind, sha256: str, meta: dict,
                 store: BlobStore) -> Any:
    """Decode an artifact of `stored_kind` for an input port of `wanted_kind` (see `converts_to`)."""
    spec = PORT_KINDS[stored_kind]
    value = spec.codec.decode(sha256, meta, store)
    if stored_kind == wanted_kind:
        return value
    convert = spec.converts_to.get(wanted_kind)
    if convert is None:
        raise TypeError(f"cannot read a {stored_kind} artifact as {wanted_kind}")
    return convert(value)


@dataclass(frozen=True)
class Input:
    """An input port. `optional` inputs may be left unconnected (the node gets None).

    A `gather` input receives a list of its kind: every expansion of an upstream node over matrix
    variables, referenced as `clip[scene=*].frames` (or `clip[*].frames`), in the order of the
    matrix's values; a plain `clip.frames` arrives as a list of one."""

    kind: PortKind
    description: str = ""
    optional: bool = False
    gather: bool = False


@dataclass(frozen=True)
class Output:
    kind: PortKind
    description: str = ""
