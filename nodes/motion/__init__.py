"""Motion: camera moves over still pictures, and frame-rate conversion by optical flow."""
from nodes.motion.camera import CameraMove
from nodes.motion.interpolate import FramesInterpolate

NODE_TYPES = [CameraMove, FramesInterpolate]
