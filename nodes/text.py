"""Plain text: templates."""
from __future__ import annotations

import re

from pydantic import Field

from reelgraph.nodes.api import Node, NodeParams
from reelgraph.nodes.errors import NodeError
from reelgraph.nodes.ports import Input, Output, PortKind

# `{name}`, `{{` or `}}`, or any other brace: only plain names are filled. str.format would also
# follow `{text.__class__}` or `{x[0]}` into objects and honour `{x:>999999999}` widths.
TEMPLATE_TOKEN = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}|\{\{|\}\}|[{}]")


def fill_template(template: str, values: dict) -> str:
    def replace(match: re.Match) -> str:
        token, name = match.group(0), match.group(1)
        if name is not None:
            if name not in values:
                raise NodeError(f"the template uses {{{name}}} but no value is given for it",
                                param="values", hint=f"add '{name}' to values")
            return str(values[name])
        if token in ("{{", "}}"):
            return token[0]
        raise NodeError(f"the template has a brace that is not a plain {{name}} placeholder at character "
                        f"{match.start()}", param="template",
                        hint="use {name} with letters, digits and _ only; write {{ and }} for literal braces")

    return TEMPLATE_TOKEN.sub(replace, template)


class TextTemplate(Node):
    """Fill a `{name}` template from params and an optional upstream text (available as `{text}`).
    Only plain names are placeholders; `{{` and `}}` write literal braces."""

    type = "text.template"
    title = "Text template"
    category = "text"
    inputs = {"text": Input(PortKind.TEXT, "Upstream text, available as {text}", optional=True)}
    outputs = {"text": Output(PortKind.TEXT, "The filled template")}

    class Params(NodeParams):
        template: str = Field(description="Text with {name} placeholders", max_length=100_000)
        values: dict[str, str | int | float] = Field(default_factory=dict,
                                                     description="Values for the placeholders")

    def run(self, ctx, params, *, text=None):
        values = dict(params.values)
        if text is not None:
            values["text"] = text
        return {"text": fill_template(params.template, values)}


NODE_TYPES = [TextTemplate]
