"""Param values of the wrong type are a user's mistake, not something to coerce.

Pydantic's lax mode already refuses a number for a text param, but turns `true` into 1 for a
number param: `--set thumb.width=true` rendered a 1-pixel-wide thumbnail. Full strict mode would
also refuse what a YAML or JSON document can only write one way (a list for a tuple), so this
check refuses exactly the bool-for-number case, at any depth (lists, mappings, nested models).
"""
from __future__ import annotations

import types
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

NUMBERS = (int, float)


def _accepts_bool(annotation: Any) -> bool:
    if annotation is bool or annotation is Any:
        return True
    if get_origin(annotation) is Literal:
        return any(isinstance(value, bool) for value in get_args(annotation))
    if get_origin(annotation) in (Union, types.UnionType):
        return any(_accepts_bool(arg) for arg in get_args(annotation))
    return False


def _is_number(annotation: Any) -> bool:
    if annotation in NUMBERS:
        return True
    if get_origin(annotation) in (Union, types.UnionType):
        return any(_is_number(arg) for arg in get_args(annotation))
    return False


def _members(annotation: Any) -> list[Any]:
    """The alternatives of a union (Optional included), else the annotation itself."""
    if get_origin(annotation) in (Union, types.UnionType):
        return [arg for arg in get_args(annotation) if arg is not type(None)]
    return [annotation]


def bool_for_number(annotation: Any, value: Any) -> str | None:
    """Where `value` puts a bool that `annotation` would read as a number ('' for the value
    itself, '[2]' or '.zoom' below it), or None when it does not."""
    if isinstance(value, bool):
        return "" if _is_number(annotation) and not _accepts_bool(annotation) else None
    for member in _members(annotation):
        origin, args = get_origin(member), get_args(member)
        if isinstance(value, list) and origin in (list, tuple, set, frozenset) and args:
            for index, item in enumerate(value):
                item_type = args[index] if origin is tuple and len(args) > index and args[-1] is not ... \
                    else args[0]
                if (where := bool_for_number(item_type, item)) is not None:
                    return f"[{index}]{where}"
        elif isinstance(value, dict) and origin is dict and len(args) == 2:
            for key, item in value.items():
                if (where := bool_for_number(args[1], item)) is not None:
                    return f".{key}{where}"
        elif isinstance(value, dict) and isinstance(member, type) and issubclass(member, BaseModel):
            for name, field in member.model_fields.items():
                if name in value and (where := bool_for_number(field.annotation, value[name])) is not None:
                    return f".{name}{where}"
    return None
