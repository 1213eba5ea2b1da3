"""Matrix variables in params: finding `${var}` references and substituting values.

A string that is exactly `${var}` takes the value with its type (`seed: ${seed}` stays an int);
inside a longer string the value is formatted in. `$${` writes a literal `${`.
"""
from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping
from typing import Any

VARIABLE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
WHOLE_VARIABLE = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")
MAX_DEPTH = 64
# Expansion is eager, so a matrix's size is bounded before anything is built: more instances than
# this is a campaign to split, and its product would otherwise exhaust memory while planning.
MAX_PLANNED_NODES = 100_000


class TooDeep(ValueError):
    pass


def _walk_strings(value: Any, depth: int = 0):
    if depth > MAX_DEPTH:
        raise TooDeep(f"params nest deeper than {MAX_DEPTH} levels")
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _walk_strings(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            yield from _walk_strings(item, depth + 1)


def variables_in(value: Any) -> set[str]:
    return {name for text in _walk_strings(value) for name in VARIABLE.findall(text)}


def substitute(value: Any, bindings: Mapping[str, Any]) -> Any:
    if isinstance(value, str):
        whole = WHOLE_VARIABLE.match(value)
        if whole and whole.group(1) in bindings:
            return bindings[whole.group(1)]
        replaced = VARIABLE.sub(lambda m: str(bindings.get(m.group(1), m.group(0))), value)
        return replaced.replace("$${", "${")
    if isinstance(value, Mapping):
        return {key: substitute(item, bindings) for key, item in value.items()}
    if isinstance(value, list):
        return [substitute(item, bindings) for item in value]
    return value


def combination_count(matrix: Mapping[str, list], variables: set[str]) -> int:
    return math.prod(len(matrix[name]) for name in matrix if name in variables)


def combinations(matrix: Mapping[str, list], variables: set[str]) -> list[dict[str, Any]]:
    """Every binding of `variables`, in the matrix's declared order ([{}] when there are none)."""
    names = [name for name in matrix if name in variables]
    return [dict(zip(names, values)) for values in itertools.product(*(matrix[n] for n in names))]


def instance_id(node_id: str, bindings: Mapping[str, Any]) -> str:
    """`video[locale=es]` for a matrix instance, the plain id for a shared node."""
    if not bindings:
        return node_id
    return f"{node_id}[{','.join(f'{k}={v}' for k, v in bindings.items())}]"
