"""Writing an edited document back into its YAML file without losing what people wrote there.

The editor sends the whole document as JSON. `updated_yaml` loads the file's current text with
ruamel.yaml's round-trip loader, merges the new values into that tree (unchanged keys keep their
comments, order, quoting and flow style; removed keys go; new keys are appended) and dumps it.
"""
from __future__ import annotations

import io
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a long template or prompt onto two lines
    return yaml


def merge(old: Any, new: Any) -> Any:
    """`new`'s values in `old`'s clothes: the result equals `new` as data."""
    if isinstance(old, CommentedMap) and isinstance(new, dict):
        for key in [key for key in old if key not in new]:
            del old[key]
        for key, value in new.items():
            old[key] = merge(old[key], value) if key in old else value
        return old
    if isinstance(old, CommentedSeq) and isinstance(new, list):
        if len(old) == len(new):
            for index, value in enumerate(new):
                old[index] = merge(old[index], value)
            return old
        fresh = CommentedSeq(new)
        if old.fa.flow_style():
            fresh.fa.set_flow_style()
        return fresh
    if type(old) is not type(new) and not (isinstance(old, str) and isinstance(new, str)):
        return new
    return old if old == new else new


def updated_yaml(old_text: str | None, document: dict) -> str:
    yaml = _yaml()
    tree: Any = None
    if old_text:
        try:
            tree = yaml.load(old_text)
        except YAMLError:
            tree = None  # the file was broken: write the new document plainly
    tree = merge(tree, document) if isinstance(tree, CommentedMap) else document
    out = io.StringIO()
    yaml.dump(tree, out)
    return out.getvalue()
