"""Sequences: shots joined into one video with transitions, trims and a soundtrack."""
from reelgraph.nodes.sequence.assemble import SequenceAssemble
from reelgraph.nodes.sequence.continuity import FramesLast

NODE_TYPES = [SequenceAssemble, FramesLast]
