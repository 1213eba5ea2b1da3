"""Matrix variables in params: finding `${var}` references and substituting values.

A string that is exactly `${var}` takes the value with its type (`seed: ${seed}` stays an int);
inside a longer string the value is formatted in. `$${` writes a literal `${`.

A variable's values are plain values (`locale: [en, es]`) or records, as a GitHub Actions matrix
allows: `shot: [{id: coffee, image: a.png, duration: 4}, ...]`. `${shot.image}` takes a field of
the record (typed, when it is the whole string); `${shot}` and instance ids use the record's `id`.
"""
from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping
from typing import Any

NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
VARIABLE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?:\.([A-Za-z_][A-Za-z0-9_]*))?\}")
WHOLE_VARIABLE = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)(?:\.([A-Za-z_][A-Za-z0-9_]*))?\}$")
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
    return {name for text in _walk_strings(value) for name, _ in VARIABLE.findall(text)}


def fields_used(value: Any) -> set[tuple[str, str]]:
    """(variable, field) of every `${var.field}` reference."""
    return {(name, field) for text in _walk_strings(value) for name, field in VARIABLE.findall(text) if field}


def is_record(value: Any) -> bool:
    return isinstance(value, Mapping)


def value_label(value: Any) -> Any:
    """What `${var}` and instance ids show of a value: a record's id, else the value itself."""
    return value["id"] if is_record(value) else value


def _lookup(bindings: Mapping[str, Any], match: re.Match) -> tuple[bool, Any]:
    name, field = match.group(1), match.group(2)
    if name not in bindings:
        return False, None
    value = bindings[name]
    if field is None:
        return True, value_label(value)
    if is_record(value) and field in value:
        return True, value[field]
    return False, None


def substitute(value: Any, bindings: Mapping[str, Any]) -> Any:
    if isinstance(value, str):
        whole = WHOLE_VARIABLE.match(value)
        if whole:
            found, replacement = _lookup(bindings, whole)
            if found:
                return replacement

        def formatted(match: re.Match) -> str:
            found, replacement = _lookup(bindings, match)
            return str(replacement) if found else match.group(0)

        return VARIABLE.sub(formatted, value).replace("$${", "${")
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
    return f"{node_id}[{','.join(f'{k}={value_label(v)}' for k, v in bindings.items())}]"


def values_problem(var: str, values: Any) -> str | None:
    """What is wrong with a matrix variable's values, as a sentence; None when they are fine."""
    if not isinstance(values, list) or not values:
        return f"matrix variable '{var}' needs a non-empty list of values (strings, numbers, or records with an 'id')"
    if all(is_record(v) for v in values):
        ids = [v.get("id") for v in values]
        if not all(isinstance(i, str | int) and not isinstance(i, bool) and str(i) for i in ids):
            return f"every record of matrix variable '{var}' needs an 'id' (a string or an integer)"
        if any(not isinstance(key, str) or not NAME.match(key) for v in values for key in v):
            return f"the fields of matrix variable '{var}' must be names (letters, digits and _)"
        labels = list(map(str, ids))
    elif all(isinstance(v, str | int | float | bool) for v in values):
        labels = list(map(str, values))
    else:
        return (f"matrix variable '{var}' mixes plain values and records, or holds lists; use plain values "
                "(strings, numbers) or records with an 'id'")
    if len(set(labels)) != len(labels):
        return f"matrix variable '{var}' lists a value (or a record id) twice"
    return None


def missing_fields(matrix: Mapping[str, list], params: Any) -> list[str]:
    """`var.field` references to fields some record of the variable lacks (or to a plain variable)."""
    missing = []
    for name, field in sorted(fields_used(params)):
        values = matrix.get(name)
        if values is not None and not all(is_record(v) and field in v for v in values):
            missing.append(f"{name}.{field}")
    return missing
