"""The node API: a node type is a small declarative class.

    class Resize(Node):
        type = "image.resize"
        title = "Resize an image"
        inputs = {"image": Input(PortKind.IMAGE)}
        outputs = {"image": Output(PortKind.IMAGE)}

        class Params(NodeParams):
            width: int = Field(512, ge=1, le=8192, description="Output width in pixels")

        def run(self, ctx, params, *, image):
            return {"image": image.resize((params.width, ...))}

`run` takes the context and the params model, then every input port as a keyword-only argument
named after the port (optional ports default to None). The class is checked when it is defined
(`nodes.node_checks`): a `run` that does not match `inputs`, or a node without outputs, fails at
import with the class and the port named.

The type name and version are part of every cache key: bump `version` whenever outputs change
for the same inputs and params. Module-level imports of heavy libraries (torch, diffusers) belong
inside `run`, so listing or validating graphs stays fast.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from reelgraph.nodes.workspace import Workspace

from reelgraph.nodes.context import NodeContext
from reelgraph.nodes.node_checks import check_node_class
from reelgraph.nodes.param_types import bool_for_number
from reelgraph.nodes.ports import Input, Output

FILE_PARAM_FLAG = "x-reelgraph-file"


class NodeParams(BaseModel):
    """Base of every node's params model: unknown params are an error, not silently ignored.

    Each model's validator is built when first used (`defer_build`), not when its node module is
    imported: validating a graph builds only the models of the node types it uses."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_for_a_number(cls, value: Any, info: ValidationInfo) -> Any:
        """`true` is not 1: pydantic would coerce it (see param_types)."""
        where = bool_for_number(cls.model_fields[info.field_name].annotation, value)
        if where is not None:
            raise ValueError(f"true/false where a number is expected{' (at ' + where + ')' if where else ''}; "
                             "write the number")
        return value


def file_param(default: Any = ..., *, description: str, **kwargs: Any) -> Any:
    """A param holding a workspace path (or a list of them) whose *contents* feed the cache key:
    editing the file re-runs the node even though the path is unchanged."""
    return Field(default, description=description, json_schema_extra={FILE_PARAM_FLAG: True}, **kwargs)


@dataclass(frozen=True)
class Resources:
    """What one execution needs. Engines schedule on it (GPU slots, Ray num_gpus/num_cpus)."""

    gpus: float = 0
    gpu_memory_gb: float = 0
    cpus: float = 1


class Node(ABC):
    type: ClassVar[str]
    version: ClassVar[int] = 1
    title: ClassVar[str] = ""
    category: ClassVar[str] = ""
    inputs: ClassVar[Mapping[str, Input]] = {}
    outputs: ClassVar[Mapping[str, Output]] = {}
    Params: ClassVar[type[NodeParams]] = NodeParams
    resources: ClassVar[Resources] = Resources()
    # A non-deterministic node mixes the run id into its cache key, so it never hits the cache.
    deterministic: ClassVar[bool] = True
    # Attempts after the first when the node raises something other than a NodeError.
    retries: ClassVar[int] = 0
    # Runs in well under a millisecond to a few (plumbing, text, picks): engines may run a line of
    # such nodes as one task (flows/fusion.py). Types not marked are still fused once their recorded
    # executions measure fast.
    cheap: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not getattr(cls.run, "__isabstractmethod__", False):  # an abstract intermediate base is not a node
            check_node_class(cls)

    @abstractmethod
    def run(self, ctx: NodeContext, params: Any, **inputs: Any) -> dict[str, Any]:
        """Compute the outputs ({port: value}) from the params and the inputs, which arrive as
        keyword-only arguments named after the input ports: `def run(self, ctx, params, *, image)`."""

    @classmethod
    def description(cls) -> str:
        return (cls.__doc__ or "").strip()

    @classmethod
    def file_params(cls) -> list[str]:
        """Names of params whose file contents are part of the cache key."""
        return [name for name, info in cls.Params.model_fields.items()
                if isinstance(info.json_schema_extra, dict) and info.json_schema_extra.get(FILE_PARAM_FLAG)]

    @classmethod
    def key_files(cls, params: NodeParams, workspace: Workspace) -> dict[str, Path]:
        """Files whose contents are part of the cache key, by label: the file params' files.

        Override to narrow it (a translator keys only on the catalogs of its target language, so
        editing the Spanish catalog re-runs only the Spanish branch)."""
        files = {}
        for name in cls.file_params():
            value = getattr(params, name)
            for index, path in enumerate(value if isinstance(value, list) else [value]):
                if path:
                    files[f"{name}.{index}"] = workspace.resolve(path, param=name)
        return files

    @classmethod
    def check_environment(cls, params: NodeParams, workspace: Workspace) -> list[Exception]:
        """What this node needs from the machine beyond its params and files (a signing key), as
        NodeErrors reported at validation, so a graph fails before anything renders. Default: none."""
        return []

    @classmethod
    def resources_for(cls, params: NodeParams) -> Resources:
        """What one execution with these params needs; override when params change it (a learned
        upscaler needs a GPU where Lanczos does not)."""
        return cls.resources

    @classmethod
    def model_ids(cls, params: NodeParams) -> list[str]:
        """Model identities this node loads (hub id@revision or weights path), for lineage."""
        return []
