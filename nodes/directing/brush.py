"""motion.brush: animate only the brushed regions of a still picture.

Each stroke's region is cut from the still with a feathered edge and moved along its path (with
rotation and scale) over a background where every region was filled in (image.inpaint's fill), so
what a region uncovers is plausible background and everything outside the regions holds still,
byte for byte. Frames are rendered one at a time as they are read.
"""
from __future__ import annotations

import numpy as np
from pydantic import Field

from reelgraph.nodes.api import Node, NodeParams
from reelgraph.nodes.directing.brush_path import Stroke
from reelgraph.nodes.directing.inpaint import FillAlgorithm
from reelgraph.nodes.errors import NodeError
from reelgraph.nodes.ports import Input, Output, PortKind
from reelgraph.nodes.values import Frames


class BrushLayer:
    """One stroke ready to render: its soft mask and centre in the still, and its motion.

    The layer is kept premultiplied (Porter-Duff): where the soft mask is a, the still is
    a * region + (1 - a) * background, so with the filled background F the region's premultiplied
    colour is still - (1 - a) * F. Compositing that over F gives back the still exactly, so the clip
    starts on the still, and a moving edge carries the region's colours, not the old background's.
    """

    def __init__(self, soft: np.ndarray, centre: np.ndarray, motion) -> None:
        self.soft, self.centre, self.motion = soft, centre, motion
        self.premultiplied: np.ndarray | None = None

    def prepare(self, still: np.ndarray, background: np.ndarray) -> None:
        alpha = self.soft[..., None]
        layer = still.astype(np.float32) - (1.0 - alpha) * background
        self.premultiplied = np.where(alpha > 0, layer, 0.0).astype(np.float32)

    def render_onto(self, canvas: np.ndarray, u: float) -> None:
        import cv2

        from reelgraph.nodes.directing.brush_path import affine

        offset, degrees, scale = self.motion.pose(u)
        matrix = affine(self.centre, offset, degrees, scale)
        height, width = self.soft.shape
        if np.allclose(matrix, [[1, 0, 0], [0, 1, 0]]):
            layer, alpha = self.premultiplied, self.soft
        else:
            layer = cv2.warpAffine(self.premultiplied, matrix, (width, height), flags=cv2.INTER_LINEAR,
                                   borderMode=cv2.BORDER_CONSTANT, borderValue=0)
            alpha = cv2.warpAffine(self.soft, matrix, (width, height), flags=cv2.INTER_LINEAR,
                                   borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        canvas *= 1.0 - alpha[..., None]
        canvas += layer


def build_layers(strokes: list[Stroke], mask_image, width: int, height: int) -> list[BrushLayer]:
    """Each stroke's soft region, centre and motion; bad regions and paths named by param."""
    from reelgraph.nodes.directing.brush_path import StrokeMotion
    from reelgraph.nodes.directing.masks import resolve_mask
    from reelgraph.nodes.directing.shapes import feather_mask, hard_mask

    layers = []
    for index, stroke in enumerate(strokes):
        where = f"strokes[{index}]"
        if stroke.region:
            hard = hard_mask(stroke.region, width, height)
        else:
            if mask_image is None:
                raise NodeError("the stroke has no region and no mask is connected", param=f"{where}.region",
                                hint="give the stroke region shapes, or connect a mask (mask.draw)")
            hard = (resolve_mask(mask_image, [], 0, width, height) >= 0.5).astype(np.uint8)
        if not hard.any():
            raise NodeError("the stroke's region covers no pixel of the frame", param=f"{where}.region",
                            hint=f"draw the region inside the {width}x{height} frame")
        rows, columns = np.nonzero(hard)
        centre = np.array([columns.mean(), rows.mean()])
        motion = StrokeMotion(stroke, width, height)
        for point_index, offset in enumerate(motion.points):
            x, y = centre + offset
            if not (0 <= x <= width - 1 and 0 <= y <= height - 1):
                raise NodeError(f"the path takes the region's centre to ({x:.0f}, {y:.0f}), outside the "
                                f"{width}x{height} frame", param=f"{where}.path[{point_index}]",
                                hint=f"path points are offsets from the region's centre ({centre[0]:.0f}, "
                                     f"{centre[1]:.0f}); keep centre + offset inside the frame")
        layers.append(BrushLayer(feather_mask(hard, stroke.feather), centre, motion))
    return layers


class MotionBrush(Node):
    """Animate only the brushed regions of a still: each stroke moves a region (shapes or the mask
    input) along a path of offsets with easing, optional rotation and scale, with soft edges. The
    rest of the picture holds still and what a region uncovers is filled in."""

    type = "motion.brush"
    version = 2  # 2: premultiplied layers, so the clip starts exactly on the still
    title = "Motion brush"
    category = "directing"
    inputs = {"image": Input(PortKind.IMAGE, "The still to animate"),
              "mask": Input(PortKind.IMAGE, "Region of the strokes that list no shapes (white = moves)",
                            optional=True)}
    outputs = {"frames": Output(PortKind.FRAMES, "The animated frame sequence")}

    class Params(NodeParams):
        strokes: list[Stroke] = Field([], max_length=100, description="Brushed regions and their paths, drawn "
                                      "in order (later strokes on top)")
        seconds: float = Field(2.0, gt=0, le=600, description="Duration of the clip")
        fps: float = Field(24.0, ge=1, le=240, description="Frames per second")
        width: int | None = Field(None, ge=16, le=8192, description="Frame width; the still's when empty "
                                                                    "(the still is cropped to fit)")
        height: int | None = Field(None, ge=16, le=8192, description="Frame height; the still's when empty")
        fill: FillAlgorithm = Field("telea", description="How uncovered background is filled (OpenCV)")
        fill_radius: int = Field(5, ge=1, le=100, description="Fill neighbourhood radius in pixels")

    def run(self, ctx, params, *, image, mask=None):
        import cv2
        from PIL import ImageOps

        from reelgraph.nodes.directing.brush_path import frame_time
        from reelgraph.nodes.directing.inpaint import fill_hole

        if not params.strokes:
            raise NodeError("there are no strokes: nothing would move", param="strokes",
                            hint="add a stroke: a region (shapes) and a path of offsets, e.g. "
                                 "{region: [{shape: ellipse, box: [...]}], path: [[0, 0], [40, 0]]}")
        image = image.convert("RGB")
        size = (params.width or image.width, params.height or image.height)
        if size != image.size:
            image = ImageOps.fit(image, size)
        still = np.ascontiguousarray(np.asarray(image))
        width, height = size
        layers = build_layers(params.strokes, mask, width, height)
        ctx.progress(0, None, "filling the background behind the regions")
        covered = np.zeros((height, width), bool)
        for layer in layers:
            covered |= layer.soft > 0
        # Fill from a pixel farther out: the pixels just outside the regions carry their colours too.
        wider = cv2.dilate(covered.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
        filled = fill_hole(still, wider, params.fill, params.fill_radius)
        background = np.where(covered[..., None], filled, still).astype(np.float32)
        for layer in layers:
            layer.prepare(still, background)
        count = max(1, round(params.seconds * params.fps))
        report_every = max(1, count // 100)

        def render():
            for index in range(count):
                canvas = background.copy()
                for layer in layers:
                    layer.render_onto(canvas, frame_time(index, count))
                yield np.clip(np.round(canvas), 0, 255).astype(np.uint8)
                if (index + 1) % report_every == 0 or index + 1 == count:
                    ctx.progress(index + 1, count, "rendering motion brush")

        return {"frames": Frames(fps=params.fps, width=width, height=height, source=render, count=count)}
