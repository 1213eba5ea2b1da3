"""The text under each image of a contact sheet: from a generation record, or any text.

A seed sweep gathers keyframe.generate's `generation` record of every branch next to its image;
the label a director needs from it is the seed (to pick it) and the prompt (to tell prompts apart
when the sweep also varies the prompt). Anything else gathered (a string, a number, a record
without those fields) is shown as text, so any node's JSON can label a sheet.
"""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from reelgraph.nodes.errors import NodeError


def _seed_of(record: Mapping) -> Any:
    if "seed" in record:
        return record["seed"]
    seeds = record.get("seeds")
    # A branch's image is its first image (keyframe.generate's `image`), drawn with the first seed.
    return seeds[0] if isinstance(seeds, list) and seeds else None


def label_of(item: Any) -> str:
    """One label: 'seed 1234' and the prompt on the next line from a generation record, else the
    item as text."""
    if item is None:
        return ""
    if isinstance(item, str):
        return item
    if isinstance(item, Mapping):
        seed, prompt = _seed_of(item), item.get("prompt")
        if seed is not None or prompt:
            parts = [f"seed {seed}"] if seed is not None else []
            if prompt:
                parts.append(str(prompt))
            return "\n".join(parts)
        if "label" in item:
            return str(item["label"])
    return json.dumps(item, ensure_ascii=False, sort_keys=True)


def sheet_labels(count: int, gathered: Sequence[Any] | None, written: Sequence[str]) -> list[str]:
    """The label of each of `count` images: the `labels` param's text, then what the gathered
    item says (a generation record's seed and prompt), either alone when the other is missing."""
    if written and len(written) != count:
        raise NodeError(f"{len(written)} labels for {count} images", param="labels",
                        hint="give one label per image, in the order of the gathered images, or none")
    if gathered is not None and len(gathered) != count:
        raise NodeError(f"{len(gathered)} gathered labels for {count} images", port="labels",
                        hint="gather the labels over the same matrix variable as the images "
                             "(kf[seed=*].image with kf[seed=*].generation)")
    derived = [label_of(item) for item in gathered] if gathered is not None else [""] * count
    if not written:
        return derived
    return [f"{text}\n{extra}" if extra else text for text, extra in zip(written, derived)]
