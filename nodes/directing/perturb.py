"""frames.perturb: inject known luminance flicker and camera shake into a clean sequence.

The test signal for temporal refinement: refine a perturbed clip and compare it with the clean
one, or measure it with quality.temporal. Seeded, so a graph renders the same clip every time.
"""
from __future__ import annotations

import numpy as np
from pydantic import Field

from reelgraph.nodes.api import Node, NodeParams
from reelgraph.nodes.ports import Input, Output, PortKind
from reelgraph.nodes.values import Frames


class FramesPerturb(Node):
    """Add seeded luminance flicker (each frame's brightness scaled by a random gain) and camera
    shake (each frame moved by a random offset and turned by a random angle) to a frame sequence."""

    type = "frames.perturb"
    title = "Perturb frames"
    category = "directing"
    inputs = {"frames": Input(PortKind.FRAMES, "A clean sequence")}
    outputs = {"frames": Output(PortKind.FRAMES, "The sequence with flicker and shake")}

    class Params(NodeParams):
        flicker: float = Field(0.08, ge=0, le=1, description="Standard deviation of each frame's brightness "
                                                             "gain (0.08: +-8% typical)")
        shake: float = Field(2.0, ge=0, le=500, description="Standard deviation of each frame's offset, pixels")
        roll: float = Field(0.0, ge=0, le=45, description="Standard deviation of each frame's angle, degrees")
        seed: int = Field(0, ge=0, le=2**32 - 1, description="Seed of the flicker and shake")

    def run(self, ctx, params, *, frames: Frames):
        import cv2


        def source():
            rng = np.random.default_rng(params.seed)
            for index, frame in enumerate(frames):
                gain, (dx, dy), angle = (1.0 + params.flicker * rng.standard_normal(),
                                         params.shake * rng.standard_normal(2), params.roll * rng.standard_normal())
                if params.shake or params.roll:
                    matrix = cv2.getRotationMatrix2D((frames.width / 2, frames.height / 2), angle, 1.0)
                    matrix[:, 2] += (dx, dy)
                    frame = cv2.warpAffine(frame, matrix, (frames.width, frames.height), flags=cv2.INTER_CUBIC,
                                           borderMode=cv2.BORDER_REFLECT_101)
                yield np.clip(np.round(frame.astype(np.float32) * gain), 0, 255).astype(np.uint8)
                ctx.progress(index + 1, frames.count, "perturbing")

        return {"frames": Frames(fps=frames.fps, width=frames.width, height=frames.height, source=source,
                                 count=frames.count)}
