"""Motion: camera moves over still pictures, and frame-rate conversion by optical flow."""
from reelgraph.nodes.motion.camera import CameraMove
from reelgraph.nodes.motion.interpolate import FramesInterpolate

NODE_TYPES = [CameraMove, FramesInterpolate]
