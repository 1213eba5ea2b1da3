"""The script document: scenes with narration lines, on-screen text and an optional duration.

    title: Morning coffee
    language: en
    scenes:
      - id: intro
        narration: ["Every good morning starts with a cup of coffee."]
        on_screen: Reelgraph Coffee
        duration: 4          # seconds at least; a longer voice-over lengthens the scene

`l10n.translate` turns a script into a *translated script document*, the JSON that travels on
its `script` port:

    {"language": "es", "source_language": "en",
     "script": {...the same structure, strings translated...},
     "strings": [{"path": "scenes[0].narration[0]", "source": "...", "translation": "...",
                  "origin": "catalog:es.xlf" | "mt:apertium" | "untranslated" | "source"}]}
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from reelgraph.nodes.errors import NodeError

# Fields of a script whose strings are words for people (ids and numbers are not translated).
TRANSLATABLE_FIELDS = frozenset({"title", "narration", "on_screen"})


class Scene(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, description="A stable name for the scene")
    narration: list[str] = Field(default_factory=list, description="Lines the voice-over speaks, in order")
    on_screen: list[str] = Field(default_factory=list, description="Text shown on screen during the scene")
    duration: float | None = Field(None, gt=0, le=3600,
                                   description="Minimum length in seconds; a longer voice-over wins")

    @field_validator("narration", "on_screen", mode="before")
    @classmethod
    def _one_string_is_one_line(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class Script(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = ""
    language: str = Field("en", description="BCP 47 tag of the script's language")
    scenes: list[Scene] = Field(min_length=1)

    @field_validator("scenes")
    @classmethod
    def _unique_scene_ids(cls, scenes: list[Scene]) -> list[Scene]:
        seen: set[str] = set()
        for scene in scenes:
            if scene.id in seen:
                raise ValueError(f"scene id '{scene.id}' is used twice; scene ids must be unique")
            seen.add(scene.id)
        return scenes


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "the document"
    return f"{where}: {first['msg']}"


def parse_script(data: Any, *, param: str | None = None, port: str | None = None) -> Script:
    try:
        return Script.model_validate(data)
    except ValidationError as error:
        raise NodeError(f"not a valid script: {_describe(error)}", param=param, port=port,
                        hint="a script has 'scenes', each with an 'id' and 'narration' lines") from None


def load_script_file(path: Path, *, param: str = "script") -> Script:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NodeError(f"no script file at '{path.name}'", param=param,
                        hint="check the path; it is relative to the graph document") from None
    except yaml.YAMLError as error:
        raise NodeError(f"'{path.name}' is not valid YAML: {error}", param=param) from None
    return parse_script(data, param=param)


def script_of_document(value: Any, *, port: str = "script") -> tuple[Script, str]:
    """The script and its language from a translated script document (or a bare script)."""
    if isinstance(value, dict) and "script" in value and "language" in value:
        script = parse_script(value["script"], port=port)
        return script, value["language"]
    if isinstance(value, dict) and "scenes" in value:
        script = parse_script(value, port=port)
        return script, script.language
    raise NodeError("expected a script (from l10n.translate, or a dict with 'scenes')", port=port,
                    hint="connect the 'script' output of an l10n.translate node")


def string_leaves(value: Any, *, only_fields: frozenset[str] | None = None,
                  path: str = "", inside: bool = False) -> Iterator[tuple[str, str]]:
    """(path, text) of every string in a JSON value, in document order.

    With `only_fields`, only strings under those keys count (a script's ids are not words).
    """
    if isinstance(value, str):
        if inside or only_fields is None:
            yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            yield from string_leaves(item, only_fields=only_fields, path=child,
                                     inside=inside or (only_fields is not None and key in only_fields))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from string_leaves(item, only_fields=only_fields, path=f"{path}[{index}]", inside=inside)


def map_leaves(value: Any, replace: Callable[[str, str], str], path: str = "") -> Any:
    """A copy of a JSON value where `replace(path, text)` rewrote every string leaf."""
    if isinstance(value, str):
        return replace(path, value)
    if isinstance(value, dict):
        return {key: map_leaves(item, replace, f"{path}.{key}" if path else str(key))
                for key, item in value.items()}
    if isinstance(value, list):
        return [map_leaves(item, replace, f"{path}[{index}]") for index, item in enumerate(value)]
    return value
