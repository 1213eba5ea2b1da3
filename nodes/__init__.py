"""reelgraph's node API and built-in node library.

Node implementations import only this API (never storage, flows or an engine).
"""
from reelgraph.nodes.api import Node, NodeParams, Resources, file_param
from reelgraph.nodes.context import BlobStore, NodeContext, ProgressEvent
from reelgraph.nodes.errors import NodeCancelled, NodeError, PathOutsideWorkspace
from reelgraph.nodes.ports import Input, Output, PortKind
from reelgraph.nodes.registry import NodeRegistry, default_registry, load_registry
from reelgraph.nodes.values import Cue, Frames, MediaFile, Subtitles
from reelgraph.nodes.workspace import Workspace

__all__ = [
    "BlobStore", "Cue", "Frames", "Input", "MediaFile", "Node", "NodeCancelled", "NodeContext", "NodeError",
    "NodeParams", "NodeRegistry", "Output", "PathOutsideWorkspace", "PortKind", "ProgressEvent",
    "Resources", "Subtitles", "Workspace", "default_registry", "file_param", "load_registry",
]
