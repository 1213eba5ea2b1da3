"""camera.move: pan, zoom and rotate over keyframe pictures along an eased path (Ken Burns)."""
from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from reelgraph.nodes.api import Node, NodeParams
from reelgraph.nodes.errors import NodeError
from reelgraph.nodes.motion.camera_path import CameraKeyframe, Easing, misordered_keyframe
from reelgraph.nodes.ports import Input, Output, PortKind
from reelgraph.nodes.values import Frames


class CameraMove(Node):
    """Film still pictures with a moving camera: pan, zoom and roll along keyframes with easing
    (Ken Burns, dolly, 2D orbit). Several pictures share the duration equally, optionally
    crossfading into each other. Frames render one at a time as they are read."""

    type = "camera.move"
    title = "Camera move"
    category = "motion"
    inputs = {"images": Input(PortKind.IMAGES, "Pictures to film, shown one after another")}
    outputs = {"frames": Output(PortKind.FRAMES, "The filmed frame sequence")}

    class Params(NodeParams):
        path: list[CameraKeyframe] = Field(
            [{"zoom": 1.0}, {"zoom": 1.2}], validate_default=True, min_length=1, max_length=1000,
            description="Camera keyframes (1 to 1000): zoom, pan [x, y] (fractions of the picture), rotate "
                        "(degrees), at (0..1, optional)")
        seconds: float = Field(4.0, gt=0, le=3600, description="Duration of the whole sequence")
        fps: float = Field(24.0, ge=1, le=240, description="Frames per second")
        width: int | None = Field(None, ge=16, le=8192,
                                  description="Frame width; the first picture's when empty")
        height: int | None = Field(None, ge=16, le=8192,
                                   description="Frame height; the first picture's when empty")
        easing: Easing = Field("ease-in-out", description="How the camera accelerates between keyframes")
        crossfade: float = Field(0.0, ge=0, le=600,
                                 description="Seconds each picture crossfades into the next (0: cut)")
        path_scope: Literal["picture", "sequence"] = Field(
            "picture", description="picture: every picture runs the whole path; sequence: one path spans "
                                   "all pictures")
        resample: Literal["bicubic", "lanczos", "bilinear"] = Field(
            "bicubic", description="Sub-pixel resampling: lanczos is sharpest, bilinear fastest "
                                   "(1080p from a 512 px picture: about 10, 20 and 60 frames/s here)")
        border: Literal["reflect", "replicate", "black"] = Field(
            "reflect", description="What shows where the camera looks past a picture's edge")

        @field_validator("path")
        @classmethod
        def keyframes_in_order(cls, path: list[CameraKeyframe]) -> list[CameraKeyframe]:
            index = misordered_keyframe([keyframe.at for keyframe in path])
            if index is not None:
                raise ValueError(f"keyframe {index} is placed before keyframe {index - 1}: "
                                 "'at' positions must not decrease")
            return path

    def run(self, ctx, params, *, images):
        import numpy as np

        from reelgraph.nodes.motion.camera_path import CameraPath, SlideTimeline, frame_position
        from reelgraph.nodes.motion.camera_render import PictureView, render_layers

        pictures = images or []
        if not pictures:
            raise NodeError("no pictures to film", port="images", hint="connect a node that outputs images")
        timeline = SlideTimeline(len(pictures), params.seconds, params.crossfade,
                                 per_picture=params.path_scope == "picture")
        if params.crossfade > timeline.slot and len(pictures) > 1:
            raise NodeError(f"a {params.crossfade:g} s crossfade is longer than each picture's "
                            f"{timeline.slot:g} s slot ({len(pictures)} pictures in {params.seconds:g} s)",
                            param="crossfade", hint="shorten the crossfade or lengthen 'seconds'")
        views = [PictureView(np.asarray(picture.convert("RGB"))) for picture in pictures]
        frame_size = (params.width or pictures[0].width, params.height or pictures[0].height)
        path = CameraPath(params.path, params.easing)
        count = max(1, round(params.seconds * params.fps))
        report_every = max(1, count // 100)

        def render():
            for index in range(count):
                time = frame_position(index, count) * params.seconds
                yield render_layers(views, path, timeline.layers(time), frame_size,
                                    resample=params.resample, border=params.border)
                if (index + 1) % report_every == 0 or index + 1 == count:
                    ctx.progress(index + 1, count, "rendering camera move")

        return {"frames": Frames(fps=params.fps, width=frame_size[0], height=frame_size[1], source=render,
                                 count=count)}
