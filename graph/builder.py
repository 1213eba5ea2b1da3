"""The Python builder API: the same graphs as YAML documents, written in code.

    g = GraphBuilder("hello", matrix={"locale": ["en", "es"]})
    photo = g.add("photo", "image.load", paths=["assets/coffee.png"])
    thumb = g.add("thumb", "image.resize", inputs={"image": photo.image}, width=128, height=128)
    g.to_yaml()        # the equivalent document
    g.plan(workspace)  # validated, expanded and keyed, exactly as from a file
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from reelgraph.graph.document import FORMAT_VERSION


@dataclass(frozen=True)
class PortRef:
    node_id: str
    port: str
    gather: tuple[str, ...] | None = None  # see gathered()

    def gathered(self, *variables: str) -> PortRef:
        """Every expansion of this output over `variables` (all of the node's when none are named),
        for an input that gathers: `shot.image.gathered("seed")` is `shot[seed=*].image`."""
        return PortRef(self.node_id, self.port, tuple(variables))

    def __str__(self) -> str:
        if self.gather is None:
            return f"{self.node_id}.{self.port}"
        return f"{self.node_id}[{','.join(f'{name}=*' for name in self.gather) or '*'}].{self.port}"


@dataclass(frozen=True)
class NodeHandle:
    """A node added to a builder; attribute access names its output ports (`photo.image`)."""

    id: str

    def __getattr__(self, port: str) -> PortRef:
        if port.startswith("__"):
            raise AttributeError(port)
        return PortRef(self.id, port)

    def out(self, port: str) -> PortRef:
        return PortRef(self.id, port)


class GraphBuilder:
    def __init__(self, name: str, *, matrix: dict[str, list] | None = None, description: str = "") -> None:
        self.name = name
        self.description = description
        self.matrix = dict(matrix or {})
        self._nodes: dict[str, dict] = {}

    def add(self, node_id: str, node_type: str, *, inputs: dict[str, PortRef | str] | None = None,
            **params: Any) -> NodeHandle:
        if node_id in self._nodes:
            raise ValueError(f"node id '{node_id}' is already used in this graph")
        spec: dict[str, Any] = {"type": node_type}
        if params:
            spec["params"] = params
        if inputs:
            spec["inputs"] = {port: str(ref) for port, ref in inputs.items()}
        self._nodes[node_id] = spec
        return NodeHandle(node_id)

    def document(self) -> dict:
        doc: dict[str, Any] = {"reelgraph": FORMAT_VERSION, "name": self.name}
        if self.description:
            doc["description"] = self.description
        if self.matrix:
            doc["matrix"] = self.matrix
        doc["nodes"] = {node_id: dict(spec) for node_id, spec in self._nodes.items()}
        return doc

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.document(), sort_keys=False, allow_unicode=True)

    def plan(self, workspace_root: str | Path = ".", **kwargs: Any):
        from reelgraph.graph.loading import plan_document

        return plan_document(self.document(), workspace_root=workspace_root, **kwargs)
