"""reelgraph's node API and built-in node library.

Node implementations import only this API (never storage, flows or an engine).
"""
from nodes.api import Node, NodeParams, Resources, file_param
from nodes.context import BlobStore, NodeContext, ProgressEvent
from nodes.errors import NodeError, PathOutsideWorkspace
from nodes.ports import Input, Output, PortKind
from nodes.registry import NodeRegistry, default_registry, load_registry
from nodes.values import Cue, Frames, MediaFile, Subtitles
from nodes.workspace import Workspace

__all__ = [
    "BlobStore", "Cue", "Frames", "Input", "MediaFile", "Node", "NodeContext", "NodeError",
    "NodeParams", "NodeRegistry", "Output", "PathOutsideWorkspace", "PortKind", "ProgressEvent",
    "Resources", "Subtitles", "Workspace", "default_registry", "file_param", "load_registry",
]
