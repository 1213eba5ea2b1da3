"""provenance.watermark: an invisible, compression-tolerant text mark in every frame."""
from __future__ import annotations

from pydantic import Field, field_validator

from reelgraph.nodes.api import Node, NodeParams
from reelgraph.nodes.errors import NodeError
from reelgraph.nodes.ports import Input, Output, PortKind
from reelgraph.nodes.provenance.watermark_codec import DEFAULT_STRENGTH, MIN_PIXELS, PAYLOAD_BYTES, Method, mark_bits
from reelgraph.nodes.values import Frames


class ProvenanceWatermark(Node):
    """Embed a short text (default 'reelgraph'; empty: the run id's first 12 characters) invisibly in
    every frame with invisible-watermark (DWT-DCT, in the chroma), checksummed so
    `reelgraph watermark detect` can tell it from noise after H.264 encoding. Frames need at least
    256x256 pixels. Streams frame by frame."""

    type = "provenance.watermark"
    title = "Invisible watermark"
    category = "provenance"
    inputs = {"frames": Input(PortKind.FRAMES, "The frames to mark")}
    outputs = {"frames": Output(PortKind.FRAMES, "The marked frames")}

    class Params(NodeParams):
        payload: str = Field("reelgraph", max_length=PAYLOAD_BYTES,
                             description=f"Text to embed, at most {PAYLOAD_BYTES} UTF-8 bytes; empty: the "
                                         "run id's first 12 characters")
        method: Method = Field("dwtDctSvd", description="invisible-watermark method: dwtDctSvd survives "
                                                        "H.264 at CRF 23; dwtDct is faster but fragile")
        strength: int = Field(DEFAULT_STRENGTH, ge=8, le=128, description="Quantisation step in the chroma: higher "
                                                            "survives stronger compression and shows more")

        @field_validator("payload")
        @classmethod
        def fits(cls, payload: str) -> str:
            if payload:
                mark_bits(payload)  # raises ValueError with the reason
            return payload

    def run(self, ctx, params, *, frames: Frames):
        from reelgraph.nodes.provenance.watermark_codec import embed

        if frames.width * frames.height < MIN_PIXELS:
            raise NodeError(f"frames of {frames.width}x{frames.height} are too small to carry a watermark",
                            port="frames", hint=f"upscale to at least {MIN_PIXELS} pixels (e.g. 256x256, "
                                                "or 384x216) before this node")
        bits = mark_bits(params.payload or ctx.run_id[:PAYLOAD_BYTES])

        def marked():
            for index, frame in enumerate(frames):
                yield embed(frame, bits, method=params.method, strength=params.strength)
                ctx.progress(index + 1, frames.count, "watermarking")

        return {"frames": Frames(fps=frames.fps, width=frames.width, height=frames.height, source=marked,
                                 count=frames.count)}


NODE_TYPES = [ProvenanceWatermark]
