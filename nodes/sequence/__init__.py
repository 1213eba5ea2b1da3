"""Sequences: shots joined into one video with transitions, trims and a soundtrack."""
from reelgraph.nodes.sequence.assemble import SequenceAssemble

NODE_TYPES = [SequenceAssemble]
