"""Reviewing a sweep: contact sheets of gathered branches, and picking one branch to go on with."""
from reelgraph.nodes.review.grid import ImageGrid
from reelgraph.nodes.review.pick import FramesPick, ImagesPick

NODE_TYPES = [ImageGrid, ImagesPick, FramesPick]
