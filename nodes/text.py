"""Plain text: templates."""
from __future__ import annotations

import string

from pydantic import Field

from nodes.api import Node, NodeParams
from nodes.errors import NodeError
from nodes.ports import Input, Output, PortKind


class TextTemplate(Node):
    """Fill a `{name}` template from params and an optional upstream text (available as `{text}`)."""

    type = "text.template"
    title = "Text template"
    category = "text"
    inputs = {"text": Input(PortKind.TEXT, "Upstream text, available as {text}", optional=True)}
    outputs = {"text": Output(PortKind.TEXT, "The filled template")}

    class Params(NodeParams):
        template: str = Field(description="Text with {name} placeholders", max_length=100_000)
        values: dict[str, str | int | float] = Field(default_factory=dict,
                                                     description="Values for the placeholders")

    def run(self, ctx, inputs, params):
        values = dict(params.values)
        if inputs.get("text") is not None:
            values["text"] = inputs["text"]
        names = {field for _, field, _, _ in string.Formatter().parse(params.template) if field}
        missing = sorted(names - values.keys())
        if missing:
            raise NodeError(f"the template uses {{{missing[0]}}} but no value is given for it",
                            param="values", hint=f"add '{missing[0]}' to values")
        return {"text": params.template.format_map(values)}


NODE_TYPES = [TextTemplate]
