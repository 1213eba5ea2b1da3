"""images.pick / frames.pick: one branch of a gather, by index or by the matrix value it was made with.

A director sweeps seeds, looks at the contact sheet, and picks one: `--set pick.value=1234`.
Only the pick's params change, so upstream branches come from the cache and everything downstream
of the pick runs again with the picked branch alone.

A gathered input arrives as a plain list in the order of the matrix values; the node does not see
which value made which element, so picking by value reads `values`, the matrix's list written once
in the document (a YAML anchor keeps the two in step: `seed: &seeds [...]`, `values: *seeds`).
"""
from __future__ import annotations

from collections.abc import Sequence
from numbers import Number
from typing import Any

from pydantic import Field

from reelgraph.nodes.api import Node, NodeParams
from reelgraph.nodes.errors import NodeError
from reelgraph.nodes.ports import Input, Output, PortKind

MatrixValue = int | float | str


class PickParams(NodeParams):
    index: int | None = Field(None, ge=0, le=100_000, description="The branch's position, from 0, in matrix "
                              "order; empty: pick by value, or the first branch when no value is set")
    value: MatrixValue | None = Field(None, description="Pick the branch made with this matrix value (a seed: "
                                      "1234); needs `values`")
    values: list[MatrixValue] = Field([], max_length=100_000, description="The matrix values of the gathered "
                                      "branches, in order: the matrix's list (seed: [11, 22, 33, 44])")
    variable: str = Field("", max_length=200, description="The matrix variable the branches fan out over "
                          "(seed); named in messages")


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, Number) and isinstance(b, Number) and not isinstance(a, bool) and not isinstance(b, bool):
        return a == b
    return str(a) == str(b)   # `--set pick.value=007` or a record id against its string form


def _shown(values: Sequence[Any], limit: int = 12) -> str:
    shown = ", ".join(str(value) for value in values[:limit])
    return shown + (", ..." if len(values) > limit else "")


def chosen_index(params: PickParams, count: int, *, port: str) -> int:
    """The position of the picked branch among `count` gathered ones, or a NodeError saying why not."""
    if count == 0:
        raise NodeError("there is nothing to pick from: the gather is empty", port=port,
                        hint=f"gather the branches of a fan-out: kf[seed=*].{port}")
    if params.index is not None and params.value is not None:
        raise NodeError("both index and value are set", param="index",
                        hint="pick by one of them: --set pick.index=null to pick by value")
    if params.value is None:
        index = params.index or 0
        if index >= count:
            raise NodeError(f"index {index} is past the last of {count} branches", param="index",
                            hint=f"pick 0 to {count - 1}, in the order of the matrix values")
        return index
    name = params.variable or "value"
    if not params.values:
        raise NodeError(f"picking {name}={params.value} needs the branches' values", param="values",
                        hint="set values to the matrix's list of the gathered variable (seed: [11, 22, 33, 44])")
    if len(params.values) != count:
        raise NodeError(f"{len(params.values)} values for {count} gathered branches", param="values",
                        hint="set values to exactly the matrix's list, in its order")
    for index, candidate in enumerate(params.values):
        if _same(candidate, params.value):
            return index
    raise NodeError(f"no branch has {name}={params.value}", param="value",
                    hint=f"pick one of {_shown(params.values)}")


def picked(params: PickParams, index: int) -> dict:
    return {"index": index, "value": params.values[index] if params.values else None,
            "variable": params.variable or None}


PICKED = Output(PortKind.JSON, "Which branch: index, value and variable")


class BranchPick(Node):
    """What the pick nodes share: params, version, category and the choice itself. A pick node
    declares one gathered input and one output for the picked element (plus `picked`), and its
    run() hands the gathered list to `pick`; run() must still name its port (nodes.node_checks)."""

    version = 1
    category = "review"
    Params = PickParams

    def pick(self, params: PickParams, branches: Sequence[Any]) -> dict[str, Any]:
        [gathered] = self.inputs
        [chosen] = [port for port in self.outputs if port != "picked"]
        index = chosen_index(params, len(branches), port=gathered)
        return {chosen: branches[index], "picked": picked(params, index)}


class ImagesPick(BranchPick):
    """Choose one image of a gather, by position or by the matrix value that made it (seed 1234):
    the picked branch of a seed sweep, for everything downstream to use."""

    type = "images.pick"
    title = "Pick an image"
    inputs = {"images": Input(PortKind.IMAGE, "The branches' images, in order (kf[seed=*].image)", gather=True)}
    outputs = {"image": Output(PortKind.IMAGE, "The picked image"), "picked": PICKED}

    def run(self, ctx, params, *, images):
        return self.pick(params, images)


class FramesPick(BranchPick):
    """Choose one frame sequence of a gather, by position or by the matrix value that made it: the
    picked take of a sweep over clips, for everything downstream to use."""

    type = "frames.pick"
    title = "Pick a clip"
    inputs = {"frames": Input(PortKind.FRAMES, "The branches' frames, in order (clip[seed=*].frames)",
                              gather=True)}
    outputs = {"frames": Output(PortKind.FRAMES, "The picked frames"), "picked": PICKED}

    def run(self, ctx, params, *, frames):
        return self.pick(params, frames)
