"""frames.interpolate: raise (or convert) a frame rate with motion-compensated in-between frames."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from reelgraph.nodes.api import Node, NodeParams
from reelgraph.nodes.errors import NodeError
from reelgraph.nodes.ports import Input, Output, PortKind
from reelgraph.nodes.values import Frames


class FramesInterpolate(Node):
    """Insert in-between frames estimated by optical flow (both directions, occlusion-aware), or
    by plain blending. Multiplies the frame rate by `factor`, or converts it to `target_fps`;
    the duration stays the same. Across a scene cut it cuts at the midpoint instead of morphing.
    Streams: holds two input frames and their flows at a time."""

    type = "frames.interpolate"
    title = "Interpolate frames"
    category = "motion"
    inputs = {"frames": Input(PortKind.FRAMES, "The frame sequence to retime")}
    outputs = {"frames": Output(PortKind.FRAMES, "The sequence at the new frame rate")}

    class Params(NodeParams):
        factor: int = Field(2, ge=2, le=16, description="Output frames per input frame (2 doubles the rate)")
        target_fps: float | None = Field(None, gt=0, le=480,
                                         description="Output frame rate; when set, replaces 'factor'")
        method: Literal["flow", "blend"] = Field(
            "flow", description="flow: motion-compensated; blend: cross-dissolve neighbours")
        flow: Literal["dis", "farneback"] = Field("dis", description="Optical flow estimator (OpenCV)")
        preset: Literal["fast", "medium"] = Field(
            "medium", description="DIS search depth: medium searches the flow image down to its own "
                                  "pixels, fast stops at half its resolution (faster, less detail)")
        flow_scale: float = Field(0.5, ge=0.125, le=1.0,
                                  description="Resolution flow is computed at, relative to the frames")

    def run(self, ctx, params, *, frames: Frames):
        from reelgraph.nodes.motion.retiming import exact_rate, output_count, retimed

        if params.method == "flow":
            from reelgraph.nodes.motion.optical_flow import MIN_FLOW_SIDE

            if max(frames.width, frames.height) < MIN_FLOW_SIDE:
                raise NodeError(f"{frames.width}x{frames.height} frames are too small for optical flow "
                                f"(it needs {MIN_FLOW_SIDE} pixels on a side)", param="method",
                                hint="use method: blend for tiny frames")
        if params.target_fps is not None:
            output_fps = params.target_fps
            step = exact_rate(frames.fps) / exact_rate(params.target_fps)
        else:
            output_fps = frames.fps * params.factor
            step = 1 / exact_rate(params.factor)
        count = None if frames.count is None else output_count(frames.count, step)
        pairs_total = None if frames.count is None else max(1, frames.count - 1)

        def render():
            return retimed(frames, step, self._pair_maker(params), frames.count,
                           on_pair_done=lambda done: ctx.progress(done, pairs_total, "interpolating frames"))

        return {"frames": Frames(fps=output_fps, width=frames.width, height=frames.height, source=render,
                                 count=count)}

    @staticmethod
    def _pair_maker(params):
        """A factory of in-between makers; a frame's flow image is prepared once, not per pair."""
        from reelgraph.nodes.motion.inbetween import BlendedPair, FlowPair
        from reelgraph.nodes.motion.optical_flow import FlowEstimator

        if params.method == "blend":
            return BlendedPair
        estimator = FlowEstimator(params.flow, params.preset, params.flow_scale)
        last: list = [None, None]  # the previous pair's second frame and its flow image

        def make(frame0, frame1):
            grey0 = last[1] if last[0] is frame0 else estimator.prepare(frame0)
            grey1 = estimator.prepare(frame1)
            last[:] = [frame1, grey1]
            return FlowPair(frame0, frame1, estimator, grey0, grey1)

        return make
