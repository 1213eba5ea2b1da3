"""Quality: measure generated sequences, and gate a branch on the measurements."""
from reelgraph.nodes.quality.temporal import TemporalQuality

NODE_TYPES = [TemporalQuality]
