"""Run one node directly, outside any graph or engine, with a real artifact store.

Outputs go through the real codecs (encoded into the store and decoded back), so a node test
also proves that what the node returns can travel to the next node.
"""
from __future__ import annotations

import dataclasses
import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

from reelgraph.nodes import NodeContext, Workspace, default_registry
from reelgraph.nodes.model_cache import ModelCache
from reelgraph.nodes.ports import decode_value, encode_value
from reelgraph.storage.artifact_store import LocalArtifactStore

REPO = Path(__file__).resolve().parents[1]


class NodeHarness:
    def __init__(self, root: Path) -> None:
        self.workspace = Workspace(root)
        self.store = LocalArtifactStore(root / ".store")
        self.events: list = []

    def context(self, node_id: str = "node") -> NodeContext:
        return NodeContext(node_id=node_id, run_id="test-run", store=self.store,
                           workspace=self.workspace, on_progress=self.events.append)

    def run(self, node_type: str, params: dict | None = None, **inputs: Any) -> dict[str, Any]:
        """Validate params, run the node, round-trip every output through the store."""
        cls = default_registry().get(node_type)
        assert cls is not None, f"{node_type} is not registered"
        parsed = cls.Params.model_validate(params or {})
        outputs = cls().run(self.context(node_type), parsed, **inputs)
        assert set(outputs) == set(cls.outputs), f"{node_type} returned ports {sorted(outputs)}"
        decoded = {}
        for port, value in outputs.items():
            kind = cls.outputs[port].kind
            encoded = encode_value(kind, value, self.store)
            meta = {**encoded.meta, "mime": encoded.mime}
            decoded[port] = decode_value(kind, kind, encoded.sha256, meta, self.store)
            decoded[port + ".sha256"] = encoded.sha256
            decoded[port + ".meta"] = meta
        return decoded


class ModelHarness(NodeHarness):
    """The node harness with a folder of models as its workspace (graphs name them `models/tiny-sd`)
    and a model cache of its own, so residency tests count only their own loads."""

    def __init__(self, root: Path, models_root: Path) -> None:
        super().__init__(root)
        self.workspace = Workspace(models_root)
        self.models = ModelCache()

    def context(self, node_id: str = "node") -> NodeContext:
        return dataclasses.replace(super().context(node_id), models=self.models)


def tiny_model_builder() -> ModuleType:
    """examples/build_tiny_models.py as a module: it is an example script, not an installed package."""
    spec = importlib.util.spec_from_file_location("build_tiny_models", REPO / "examples" / "build_tiny_models.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
