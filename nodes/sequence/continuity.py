"""frames.last: the last frame of a shot, so the next shot can start where this one ended."""
from __future__ import annotations

from pydantic import Field

from reelgraph.nodes.api import Node, NodeParams
from reelgraph.nodes.errors import NodeError
from reelgraph.nodes.ports import Input, Output, PortKind


class FramesLast(Node):
    """The last frame of a frame sequence (or the one `from_end` frames before it), as an image: the
    init image of the next shot (video.generate, keyframe.generate) for continuity between shots."""

    type = "frames.last"
    version = 1
    title = "Last frame"
    category = "sequence"
    inputs = {"frames": Input(PortKind.FRAMES, "A shot")}
    outputs = {"image": Output(PortKind.IMAGE, "Its last frame")}

    class Params(NodeParams):
        from_end: int = Field(0, ge=0, le=100_000, description="0: the last frame; 1: the one before it...")

    def run(self, ctx, params, *, frames):
        from PIL import Image

        kept: list = []
        for frame in frames:   # streamed: only the last from_end + 1 frames are held
            kept.append(frame)
            if len(kept) > params.from_end + 1:
                kept.pop(0)
        if len(kept) <= params.from_end:
            raise NodeError(f"the sequence has {len(kept)} frames, fewer than from_end + 1 = {params.from_end + 1}",
                            param="from_end", hint="use a smaller from_end")
        return {"image": Image.fromarray(kept[0])}
