"""What a camera pose sees of a picture: one affine warp per frame, sub-pixel exact.

Coordinates are pixel centres (OpenCV's convention): a picture `w` pixels wide spans -0.5 .. w-0.5
and its centre is (w-1)/2. A pose maps a picture point p into the frame as
    A (p - view_centre) + frame_centre,   A = scale * rotation,  scale = cover_scale * zoom,
where cover_scale makes the picture just cover the frame. A known path therefore gives a known
ground truth, to a fraction of a pixel.

Shrinking a picture by more than ~1.4x in a single bilinear or Lanczos warp aliases (moire on fine
texture), so a picture keeps a pyramid of halved copies and each frame warps from the level whose
remaining scale is closest to 1. Imported lazily by the node, so cv2 loads only when frames render.
"""
from __future__ import annotations

import math

import cv2
import numpy as np

from reelgraph.nodes.motion.camera_path import CameraPath, CameraPose, Layer

RESAMPLING = {"bilinear": cv2.INTER_LINEAR, "bicubic": cv2.INTER_CUBIC, "lanczos": cv2.INTER_LANCZOS4}
BORDERS = {"reflect": cv2.BORDER_REFLECT, "replicate": cv2.BORDER_REPLICATE, "black": cv2.BORDER_CONSTANT}


def cover_scale(picture_size: tuple[int, int], frame_size: tuple[int, int]) -> float:
    """The scale at which a picture just covers the frame (the rest is cropped)."""
    return max(frame_size[0] / picture_size[0], frame_size[1] / picture_size[1])


def pose_matrix(pose: CameraPose, picture_size: tuple[int, int], frame_size: tuple[int, int]) -> np.ndarray:
    """The 3x3 affine matrix taking picture pixel coordinates to frame pixel coordinates."""
    (pw, ph), (fw, fh) = picture_size, frame_size
    scale = cover_scale(picture_size, frame_size) * pose.zoom
    angle = math.radians(pose.rotate)
    a, b = scale * math.cos(angle), scale * math.sin(angle)
    view_x = (pw - 1) / 2 + pose.pan_x * pw
    view_y = (ph - 1) / 2 + pose.pan_y * ph
    frame_x, frame_y = (fw - 1) / 2, (fh - 1) / 2
    # With y pointing down, [[a, b], [-b, a]] turns the picture counter-clockwise on screen.
    return np.array([[a, b, frame_x - a * view_x - b * view_y],
                     [-b, a, frame_y + b * view_x - a * view_y],
                     [0.0, 0.0, 1.0]])


class PictureView:
    """One picture, ready to be seen through any pose."""

    def __init__(self, picture: np.ndarray) -> None:
        self.levels = [np.ascontiguousarray(picture)]
        self.size = (picture.shape[1], picture.shape[0])

    def _level(self, scale: float) -> np.ndarray:
        wanted = max(0, round(-math.log2(scale))) if scale > 0 else 0
        while len(self.levels) <= wanted:
            last = self.levels[-1]
            if min(last.shape[:2]) < 4:
                break
            half = ((last.shape[1] + 1) // 2, (last.shape[0] + 1) // 2)
            self.levels.append(cv2.resize(last, half, interpolation=cv2.INTER_AREA))
        return self.levels[min(wanted, len(self.levels) - 1)]

    def render(self, pose: CameraPose, frame_size: tuple[int, int], *, resample: str = "bicubic",
               border: str = "reflect") -> np.ndarray:
        matrix = pose_matrix(pose, self.size, frame_size)
        level = self._level(cover_scale(self.size, frame_size) * pose.zoom)
        if level is not self.levels[0]:
            # Level pixel l and picture pixel p are the same point when (l + 0.5) = (p + 0.5) * ratio.
            ratio_x, ratio_y = level.shape[1] / self.size[0], level.shape[0] / self.size[1]
            level_to_picture = np.array([[1 / ratio_x, 0, 0.5 / ratio_x - 0.5],
                                         [0, 1 / ratio_y, 0.5 / ratio_y - 0.5],
                                         [0, 0, 1.0]])
            matrix = matrix @ level_to_picture
        return cv2.warpAffine(level, matrix[:2], frame_size, flags=RESAMPLING[resample],
                              borderMode=BORDERS[border], borderValue=(0, 0, 0))


def render_layers(views: list[PictureView], path: CameraPath, layers: list[Layer],
                  frame_size: tuple[int, int], *, resample: str, border: str) -> np.ndarray:
    """A frame made of one picture, or of two crossfading (weights summing to 1)."""
    rendered = [views[layer.picture].render(path.pose_at(layer.progress), frame_size,
                                            resample=resample, border=border)
                for layer in layers]
    if len(rendered) == 1:
        return rendered[0]
    mixed = sum(layer.weight * image.astype(np.float32) for layer, image in zip(layers, rendered))
    return np.clip(mixed + 0.5, 0, 255).astype(np.uint8)
