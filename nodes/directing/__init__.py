"""Directing controls: masks as values, in-painting, motion brushes, temporal refinement.

One module per concept: shapes (mask params rasterised with feathered edges), masks (mask nodes,
reading and compositing masks), inpaint (+ inpaint_model), brush (+ brush_path), refine (+ deflicker,
stabilize, refine_diffusion). Heavy imports (cv2, torch, diffusers) happen inside functions.
"""
from reelgraph.nodes.directing.brush import MotionBrush
from reelgraph.nodes.directing.inpaint import ImageInpaint
from reelgraph.nodes.directing.masks import MaskDraw, MaskFromImage
from reelgraph.nodes.directing.perturb import FramesPerturb
from reelgraph.nodes.directing.refine import FramesRefine

NODE_TYPES = [MaskDraw, MaskFromImage, ImageInpaint, MotionBrush, FramesRefine, FramesPerturb]
