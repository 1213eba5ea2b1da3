"""The built-in node library, one module per domain, listed explicitly."""
from __future__ import annotations

from reelgraph.nodes.api import Node


def builtin_node_types() -> list[type[Node]]:
    from reelgraph.nodes import diffusion, image, l10n, motion, provenance, quality, text, upscale, util, video

    modules = [image, text, util, upscale, video, diffusion, l10n, motion, provenance, quality]
    return [node_type for module in modules for node_type in module.NODE_TYPES]
