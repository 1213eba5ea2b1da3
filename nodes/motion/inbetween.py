"""In-between frames of two neighbouring frames: motion-compensated by optical flow, or blended.

Flow-based synthesis at time t (0 = first neighbour, 1 = second), per pixel x of the new frame:
  1. find where x comes from in each neighbour by inverting the scaled flows (fixed point);
  2. at motion boundaries, where estimated flow smears foreground and background motion
     together, re-pick x's motion from nearby pixels so that both neighbours agree on x;
  3. warp both neighbours to time t (bicubic) and blend them, weighting the nearer neighbour
     more and dropping a neighbour where the scene point is hidden in the other one (forward-
     backward consistency): content about to be covered comes from the first frame, content
     being revealed from the second.
Steps 1-2 run at the flow's reduced resolution; only the final warp runs at full size. Flows
and occlusion maps are computed once per pair and reused for every t.
Imported lazily by the interpolation node, so cv2 loads only when frames are computed.
"""
from __future__ import annotations

import cv2
import numpy as np

from reelgraph.nodes.motion.optical_flow import (FlowEstimator, backward_warp, displacement_to_time, leaves_frame,
                                       occlusion, pixel_grid, sample, upscale_displacement)

# Above this share of pixels with no counterpart in the other frame, the neighbours are taken to
# be different shots: morphing across a cut looks worse than cutting at the midpoint.
CUT_OCCLUSION_SHARE = 0.7
# Where a pixel's motion is doubtful, the motions of the pixels this far away (in flow pixels)
# left, right, above and below are tried in its place. Measured on the parallax benchmark scene:
# 4 beats 3, 5 and 6, and adding diagonals or a second distance costs time without gaining.
REACH = 4
BOUNDARY_SEARCH = [(REACH, 0), (-REACH, 0), (0, REACH), (0, -REACH)]
# The search runs on square tiles of this many flow pixels that hold doubtful pixels.
TILE = 32
# A borrowed motion must beat the pixel's own by this much (summed RGB difference, per pixel).
BORROW_MARGIN = 2.0


def blend(frame0: np.ndarray, frame1: np.ndarray, t: float) -> np.ndarray:
    return cv2.addWeighted(frame0, 1.0 - t, frame1, t, 0.0)


class BlendedPair:
    """Plain cross-dissolve: ghosts on motion, but never invents content."""

    def __init__(self, frame0: np.ndarray, frame1: np.ndarray) -> None:
        self.frame0, self.frame1 = frame0, frame1

    def at(self, t: float) -> np.ndarray:
        return blend(self.frame0, self.frame1, t)


class FlowPair:
    """Two neighbours with their flows both ways and occlusion maps, ready to give any time t."""

    def __init__(self, frame0: np.ndarray, frame1: np.ndarray, estimator: FlowEstimator,
                 grey0: np.ndarray | None = None, grey1: np.ndarray | None = None) -> None:
        self.frame0, self.frame1 = frame0, frame1
        grey0 = estimator.prepare(frame0) if grey0 is None else grey0
        grey1 = estimator.prepare(frame1) if grey1 is None else grey1
        self.flow01 = estimator.flow(grey0, grey1)
        self.flow10 = estimator.flow(grey1, grey0)
        small_h, small_w = grey0.shape[:2]
        self.grid = pixel_grid(small_h, small_w)
        self.hidden0 = occlusion(self.flow01, self.flow10, self.grid)  # frame0's pixels missing in frame1
        self.hidden1 = occlusion(self.flow10, self.flow01, self.grid)
        # Leaving the frame is not a flow error: such pixels, and the band occlusion() widened
        # around them, are no candidates for re-picking.
        exit_band = np.ones((5, 5), np.uint8)
        self.leaving0 = cv2.dilate(leaves_frame(self.flow01, self.grid).astype(np.float32), exit_band)
        self.leaving1 = cv2.dilate(leaves_frame(self.flow10, self.grid).astype(np.float32), exit_band)
        self.is_cut = min(float(self.hidden0.mean()), float(self.hidden1.mean())) > CUT_OCCLUSION_SHARE
        self.small0 = cv2.resize(frame0, (small_w, small_h), interpolation=cv2.INTER_AREA)
        self.small1 = cv2.resize(frame1, (small_w, small_h), interpolation=cv2.INTER_AREA)
        self.full_grid = pixel_grid(*frame0.shape[:2])

    def at(self, t: float) -> np.ndarray:
        if self.is_cut:
            return self.frame0 if t < 0.5 else self.frame1
        height, width = self.frame0.shape[:2]
        back0 = self._source(self.flow01, self.flow10, self.hidden0, t)
        back1 = self._source(self.flow10, self.flow01, self.hidden1, 1.0 - t)
        back0, back1 = self._repick_at_boundaries(back0, back1)
        hidden0 = sample(self.hidden0, self.grid - back0)
        hidden1 = sample(self.hidden1, self.grid - back1)
        weight0 = (1.0 - t) * (1.0 - hidden1)
        weight1 = t * (1.0 - hidden0)
        total = weight0 + weight1
        doubtful = total < 1e-3  # both sources doubtful: fall back to plain temporal weights
        weight0 = np.where(doubtful, 1.0 - t, weight0) / np.where(doubtful, 1.0, total)

        warped0 = backward_warp(self.frame0, self.full_grid - upscale_displacement(back0, width, height))
        warped1 = backward_warp(self.frame1, self.full_grid - upscale_displacement(back1, width, height))
        if weight0.shape != (height, width):
            weight0 = cv2.resize(weight0, (width, height), interpolation=cv2.INTER_LINEAR)
        weight0 = weight0.astype(np.float32)
        return cv2.blendLinear(warped0, warped1, weight0, 1.0 - weight0)

    def _source(self, flow: np.ndarray, reverse_flow: np.ndarray, hidden: np.ndarray, t: float) -> np.ndarray:
        """Where each in-between pixel comes from in one neighbour (as a displacement back to it).

        Two searches: one starting from the neighbour's own motion at x, one from the motion of
        what the other neighbour shows at x. They differ only where surfaces overlap; there the
        source seen in both frames wins over the one about to be covered, because the surface
        still visible later is the one in front (Baker et al. 2011 resolve splat collisions alike).
        """
        grid = self.grid
        own = displacement_to_time(flow, t, grid)
        other = displacement_to_time(flow, t, grid, start=-t * reverse_flow)
        take_other = sample(hidden, grid - other) < sample(hidden, grid - own) - 0.25
        own[take_other] = other[take_other]
        return own

    def _disagreement(self, grid: np.ndarray, backs: np.ndarray) -> np.ndarray:
        """How differently the two neighbours show each in-between pixel (5x5 mean of RGB sums),
        for displacements `backs` (back0 and back1 stacked: 4 channels)."""
        seen0 = cv2.remap(self.small0, grid - backs[..., :2], None, cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)
        seen1 = cv2.remap(self.small1, grid - backs[..., 2:], None, cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)
        difference = cv2.transform(cv2.absdiff(seen0, seen1), np.ones((1, 3), np.float32))
        return cv2.boxFilter(difference, cv2.CV_32F, (5, 5))

    def _repick_at_boundaries(self, back0: np.ndarray, back1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Give doubtful pixels the motion of a nearby pixel where that makes both neighbours agree.

        Estimated flow blurs across motion boundaries, so a band around a moving object carries
        a mix of its motion and the background's: right for neither. Its neighbours a few pixels
        away carry one clean motion each; the right one makes the two warped neighbours show
        the same thing (a patch comparison, as in block matching). Only tiles holding doubtful
        pixels are searched.
        """
        grid = self.grid
        doubtful = np.zeros(grid.shape[:2], bool)
        sides = ((self.hidden0, self.leaving0, back0), (self.hidden1, self.leaving1, back1))
        for hidden, leaving, back in sides:
            source = grid - back
            doubtful |= (sample(hidden, source) > 0.1) & (sample(leaving, source) == 0)
        if not doubtful.any():
            return back0, back1
        doubtful = cv2.dilate(doubtful.astype(np.uint8), np.ones((3, 3), np.uint8))
        backs = np.dstack([back0, back1])  # one remap moves both displacement fields
        repicked = backs.copy()
        height, width = doubtful.shape
        for top in range(0, height, TILE):
            for left in range(0, width, TILE):
                tile = (slice(top, min(top + TILE, height)), slice(left, min(left + TILE, width)))
                if doubtful[tile].any():
                    repicked[tile] = self._repick_tile(backs, doubtful, tile)
        return np.ascontiguousarray(repicked[..., :2]), np.ascontiguousarray(repicked[..., 2:])

    def _repick_tile(self, backs: np.ndarray, doubtful: np.ndarray, tile: tuple[slice, slice]) -> np.ndarray:
        # Patches are compared over a window 2 pixels wider than the tile, so costs at its edge
        # see their whole 5x5 neighbourhood.
        rows, columns = tile
        height, width = doubtful.shape
        window = (slice(max(0, rows.start - 2), min(height, rows.stop + 2)),
                  slice(max(0, columns.start - 2), min(width, columns.stop + 2)))
        inner = (slice(rows.start - window[0].start, rows.stop - window[0].start),
                 slice(columns.start - window[1].start, columns.stop - window[1].start))
        grid = np.ascontiguousarray(self.grid[window])
        chosen = backs[window].copy()
        allowed = np.ascontiguousarray(doubtful[window])
        best = self._disagreement(grid, chosen)
        for offset in BOUNDARY_SEARCH:
            borrowed = sample(backs, grid + np.float32(offset))
            cost = self._disagreement(grid, borrowed) + BORROW_MARGIN
            better = cv2.compare(cost, best, cv2.CMP_LT) & allowed
            np.minimum(best, cost, where=better.astype(bool), out=best)
            cv2.copyTo(borrowed, better, chosen)
        return chosen[inner]
