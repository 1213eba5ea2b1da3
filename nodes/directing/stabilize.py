"""Stabilize: remove camera shake while keeping the intended camera motion.

Two passes over the (re-readable) sequence. The first estimates the global motion between
consecutive frames (corners tracked with pyramidal Lucas-Kanade, a similarity transform fitted
with RANSAC so moving subjects do not count) and accumulates the camera's path: position of the
frame centre, angle, log scale. The path is smoothed with a Gaussian over `smoothing` seconds;
the difference between the smoothed and the measured path is the correction each frame gets in the
second pass. Borders the correction uncovers are hidden by a zoom (`crop`, up to `max_zoom`) or
filled (reflect, replicate, black). Only numbers are kept between the passes, never frames.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Iterator

import cv2
import numpy as np

TRACK_MAX_SIDE = 640
BORDERS = {"reflect": cv2.BORDER_REFLECT_101, "replicate": cv2.BORDER_REPLICATE, "black": cv2.BORDER_CONSTANT}


def _grey(frame: np.ndarray, scale: float) -> np.ndarray:
    grey = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    return grey if scale == 1 else cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)


def pair_motion(previous: np.ndarray, current: np.ndarray, scale: float) -> np.ndarray:
    """(dx, dy, angle, log scale) of the camera between two grey frames: how the frame centre's
    content moved, in full-resolution pixels; zeros when too little texture to tell."""
    corners = cv2.goodFeaturesToTrack(previous, maxCorners=400, qualityLevel=0.01, minDistance=8, blockSize=7)
    if corners is None or len(corners) < 8:
        return np.zeros(4)
    tracked, status, _ = cv2.calcOpticalFlowPyrLK(previous, current, corners, None, winSize=(21, 21), maxLevel=3)
    good = status.ravel() == 1
    if good.sum() < 8:
        return np.zeros(4)
    matrix, _ = cv2.estimateAffinePartial2D(corners[good], tracked[good], method=cv2.RANSAC,
                                            ransacReprojThreshold=1.0)
    if matrix is None:
        return np.zeros(4)
    height, width = previous.shape
    centre = np.array([width / 2, height / 2])
    moved = matrix[:, :2] @ centre + matrix[:, 2] - centre
    angle = math.atan2(matrix[1, 0], matrix[0, 0])
    return np.array([moved[0] / scale, moved[1] / scale, angle, math.log(math.hypot(matrix[0, 0], matrix[1, 0]))])


def camera_path(frames: Iterable[np.ndarray], width: int, height: int, on_frame=None) -> np.ndarray:
    """N x 4 accumulated (x, y, angle, log scale) of the camera, frame 0 at zero."""
    scale = min(1.0, TRACK_MAX_SIDE / max(width, height))
    path, previous = [np.zeros(4)], None
    for index, frame in enumerate(frames):
        grey = _grey(frame, scale)
        if previous is not None:
            path.append(path[-1] + pair_motion(previous, grey, scale))
        previous = grey
        if on_frame is not None:
            on_frame(index)
    return np.array(path)


def smooth_path(path: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian smoothing along time. The ends are extended by point reflection (2 x end - mirror
    image), which continues a steady pan instead of folding it back: a constant-speed camera move is
    left exactly as it is, only its shake is removed."""
    if sigma <= 0 or len(path) < 2:
        return path.copy()
    radius = int(math.ceil(3 * sigma))
    kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    kernel /= kernel.sum()
    padded = np.pad(path, ((radius, radius), (0, 0)), mode="reflect", reflect_type="odd")
    return np.stack([np.convolve(padded[:, k], kernel, mode="valid") for k in range(path.shape[1])], axis=1)


def correction_matrix(delta: np.ndarray, width: int, height: int, zoom: float = 1.0) -> np.ndarray:
    """2 x 3 warp moving a frame by delta (dx, dy, angle, log scale) about its centre, then zooming."""
    dx, dy, angle, log_scale = delta
    factor = math.exp(log_scale) * zoom
    cos, sin = factor * math.cos(angle), factor * math.sin(angle)
    cx, cy = width / 2, height / 2
    return np.array([[cos, -sin, cx - cos * cx + sin * cy + dx * zoom],
                     [sin, cos, cy - sin * cx - cos * cy + dy * zoom]])


def zoom_to_hide_borders(deltas: np.ndarray, width: int, height: int, max_zoom: float) -> float:
    """The smallest zoom (<= max_zoom) at which every corrected frame still covers the output."""
    corners = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], float)

    def covers(zoom: float) -> bool:
        for delta in deltas:
            inverse = cv2.invertAffineTransform(correction_matrix(delta, width, height, zoom))
            source = corners @ inverse[:, :2].T + inverse[:, 2]
            if (source < -0.5).any() or (source[:, 0] > width - 0.5).any() or (source[:, 1] > height - 0.5).any():
                return False
        return True

    if covers(1.0):
        return 1.0
    low, high = 1.0, max_zoom
    if not covers(high):
        return max_zoom
    for _ in range(20):
        middle = (low + high) / 2
        low, high = (low, middle) if covers(middle) else (middle, high)
    return high


def apply_corrections(frames: Iterable[np.ndarray], deltas: np.ndarray, width: int, height: int,
                      zoom: float, border: str) -> Iterator[np.ndarray]:
    mode = BORDERS.get(border, cv2.BORDER_REFLECT_101)
    for frame, delta in zip(frames, deltas):
        matrix = correction_matrix(delta, width, height, zoom)
        if np.allclose(matrix, [[1, 0, 0], [0, 1, 0]], atol=1e-6):
            yield frame
        else:
            yield cv2.warpAffine(frame, matrix, (width, height), flags=cv2.INTER_CUBIC, borderMode=mode)
