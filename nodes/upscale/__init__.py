"""Upscaling frame sequences: Lanczos resampling or learned upscalers loaded with spandrel."""
from reelgraph.nodes.upscale.node import FramesUpscale

NODE_TYPES = [FramesUpscale]
