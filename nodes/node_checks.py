"""Checks a node class against its own declarations when the class is defined.

A node's `run` receives its inputs as keyword-only arguments named after its input ports:

    def run(self, ctx, params, *, frames, audio=None): ...

so a typo in a port name, a port added to `inputs` but not to `run` (or the reverse), or a node
that declares no outputs fails at import, naming the class and the port, instead of on the first
execution deep inside an engine.
"""
from __future__ import annotations

import inspect
import keyword
from collections.abc import Mapping
from typing import Any

from reelgraph.nodes.ports import Input, Output

# The leading parameters of every `run`, in order; everything else is an input port.
POSITIONAL = ("self", "ctx", "params")


class NodeDefinitionError(TypeError):
    """A node class contradicts itself (its `run` signature, its ports). Raised at class definition."""


def _fail(cls: type, message: str, hint: str) -> NodeDefinitionError:
    return NodeDefinitionError(f"node class {cls.__module__}.{cls.__qualname__}: {message}; {hint}")


def _check_ports(cls: type, attribute: str, ports: Any, port_class: type) -> None:
    if not isinstance(ports, Mapping):
        raise _fail(cls, f"`{attribute}` is a {type(ports).__name__}",
                    f"declare it as a dict of {{port name: {port_class.__name__}(PortKind...)}}")
    for name, port in ports.items():
        if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name) or name in POSITIONAL:
            raise _fail(cls, f"{attribute[:-1]} port {name!r} is not usable as a Python argument name",
                        f"name ports with letters, digits and _, and not {', '.join(POSITIONAL)}")
        if not isinstance(port, port_class):
            raise _fail(cls, f"{attribute[:-1]} port '{name}' is a {type(port).__name__}",
                        f"declare it as {port_class.__name__}(PortKind...)")


def _expected_signature(cls: type) -> str:
    ports = [f"{name}=None" if port.optional else name for name, port in cls.inputs.items()]
    return "def run(self, ctx, params" + (", *, " + ", ".join(ports) if ports else "") + ")"


def check_node_class(cls: type) -> None:
    """Raise NodeDefinitionError unless `cls.run` takes (self, ctx, params, *, <input ports>) and
    the class declares its outputs."""
    _check_ports(cls, "inputs", cls.inputs, Input)
    _check_ports(cls, "outputs", cls.outputs, Output)
    if not cls.outputs:
        raise _fail(cls, "declares no outputs", "declare `outputs = {\"port\": Output(PortKind...)}`: "
                    "every node's results are stored as its output artifacts")
    expected = _expected_signature(cls)
    parameters = list(inspect.signature(cls.run).parameters.values())
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(positional) != len(POSITIONAL) or any(p.kind is p.VAR_POSITIONAL for p in parameters):
        raise _fail(cls, "run() must take exactly (self, ctx, params) before its input ports",
                    f"write `{expected}`")
    if any(p.kind is p.VAR_KEYWORD for p in parameters):
        raise _fail(cls, "run() takes **kwargs", f"name every input port instead: `{expected}`")
    keywords = {p.name: p for p in parameters if p.kind is p.KEYWORD_ONLY}
    for name, port in cls.inputs.items():
        argument = keywords.get(name)
        if argument is None:
            raise _fail(cls, f"input port '{name}' is not a keyword-only argument of run()",
                        f"write `{expected}`")
        if port.optional and argument.default is not None:
            raise _fail(cls, f"optional input port '{name}' must default to None in run()", f"write `{expected}`")
        if not port.optional and argument.default is not inspect.Parameter.empty:
            raise _fail(cls, f"required input port '{name}' has a default in run()",
                        f"drop the default, or declare Input(..., optional=True): `{expected}`")
    for name in keywords.keys() - cls.inputs.keys():
        raise _fail(cls, f"run() takes '{name}', which is not a declared input port",
                    f"add it to `inputs` or remove it: `{expected}`")
