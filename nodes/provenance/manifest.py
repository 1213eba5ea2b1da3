"""The C2PA manifest reelgraph embeds in a video: what made it, said in C2PA's terms and ours.

- `c2pa.actions`: `c2pa.created` with the IPTC digital source type (trainedAlgorithmicMedia by
  default); `c2pa.edited` when the lineage holds nodes that alter pictures made upstream;
  `c2pa.translated` (source and target language) when it is a localized variant.
- `dev.reelgraph.lineage`: run id, graph name and hash, node types, models, seeds, locale, and
  the whole upstream chain (types, versions, params, cache keys, artifact hashes).

The lineage travels as JSON text inside the assertion: c2pa-rs turns JSON arrays of numbers into
CBOR byte strings, and back into base64 text, dropping every value above 255 ([7, 300] comes back
as "Byw="). The readable summary beside it holds only strings, objects and lists of those.
"""
from __future__ import annotations

import json
from importlib.metadata import PackageNotFoundError, version
from typing import Any

LINEAGE_LABEL = "dev.reelgraph.lineage"
LINEAGE_FORMAT = 1
IPTC_SOURCE_TYPES = "http://cv.iptc.org/newscodes/digitalsourcetype/"
LOCALE_BINDINGS = ("locale", "language", "lang")
# Node types that change pictures made upstream (as opposed to making them): their presence in
# the lineage makes the video an edited variant.
EDITING_TYPES = ("image.resize", "frames.interpolate", "frames.upscale", "l10n.captions",
                 "provenance.watermark")
# Node-run details that describe the machine rather than the content: never published in a file.
PRIVATE_FIELDS = ("host", "worker", "gpu", "status")


def reelgraph_version() -> str:
    try:
        return version("reelgraph")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"


def software_agent() -> dict:
    return {"name": "reelgraph", "version": reelgraph_version()}


def embedded_lineage(lineage: dict, *, include_params: bool) -> dict:
    """The part of a node's lineage that goes into the file: no host names, no run status (the
    run is still going while it signs), params only when allowed (they may name local paths)."""
    signing_node = lineage.get("node_id")
    nodes = []
    for node in lineage.get("nodes", []):
        entry = {key: value for key, value in node.items()
                 if key not in PRIVATE_FIELDS and (include_params or key != "params")}
        if node.get("node_id") == signing_node:
            entry.pop("outputs", None)  # being made now
        nodes.append(entry)
    kept = ("run_id", "engine", "graph", "graph_id", "created_at", "node_id", "bindings", "models", "seeds")
    return {**{key: lineage[key] for key in kept if key in lineage}, "nodes": nodes}


def locale_of(lineage: dict) -> tuple[str | None, str | None]:
    """(source language, target locale) of a localized variant, or (None, None)."""
    bindings = lineage.get("bindings") or {}
    target = next((str(bindings[key]) for key in LOCALE_BINDINGS if bindings.get(key)), None)
    source = None
    for node in lineage.get("nodes", []):
        if node.get("type") == "l10n.translate":
            params = node.get("params") or {}
            source = source or params.get("source")
            target = target or params.get("target")
    return (source or "und", target) if target else (None, None)


def editing_nodes(lineage: dict) -> list[str]:
    return [node["node_id"] for node in lineage.get("nodes", []) if node.get("type") in EDITING_TYPES]


def actions(lineage: dict, digital_source_type: str) -> list[dict]:
    agent = software_agent()
    run = f"run {lineage.get('run_id', '?')} of graph '{lineage.get('graph', '?')}'"
    found = [{"action": "c2pa.created", "digitalSourceType": IPTC_SOURCE_TYPES + digital_source_type,
              "softwareAgent": agent, "description": f"rendered by reelgraph, {run}"}]
    edits = editing_nodes(lineage)
    if edits:
        found.append({"action": "c2pa.edited", "softwareAgent": agent,
                      "description": "pictures altered after they were made by: " + ", ".join(edits)})
    source, target = locale_of(lineage)
    if target:
        found.append({"action": "c2pa.translated", "softwareAgent": agent,
                      "description": f"localized variant for {target}",
                      "parameters": {"sourceLanguage": source, "targetLanguage": target}})
    return found


def lineage_assertion(lineage: dict) -> dict:
    """The custom assertion: a readable summary plus the full lineage as JSON text."""
    _, locale = locale_of(lineage)
    nodes = lineage.get("nodes", [])
    summary = {
        "format": LINEAGE_FORMAT,
        "run_id": str(lineage.get("run_id", "")),
        "graph": str(lineage.get("graph", "")),
        "graph_hash": str(lineage.get("graph_id", "")),
        "node_id": str(lineage.get("node_id", "")),
        "node_types": sorted({str(node["type"]) for node in nodes}),
        "models": [str(model) for model in lineage.get("models", [])],
        "seeds": [{"node_id": node["node_id"], "seed": str(seed)} for node in nodes for seed in node.get("seeds", [])],
        "locale": locale or "",
        "lineage": json.dumps(lineage, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str),
    }
    return {"label": LINEAGE_LABEL, "data": summary}


def build_manifest(lineage: dict, *, title: str, digital_source_type: str) -> dict[str, Any]:
    """The manifest definition c2pa's Builder takes, for an MP4 rendered by this lineage."""
    agent = software_agent()
    return {
        "claim_generator": f"reelgraph/{agent['version']}",  # read by C2PA 1.x tools; 2.x reads the info
        "claim_generator_info": [agent],
        "title": title,
        "format": "video/mp4",
        "assertions": [
            {"label": "c2pa.actions", "data": {"actions": actions(lineage, digital_source_type)}},
            lineage_assertion(lineage),
        ],
    }


def read_lineage(manifest: dict) -> dict | None:
    """The lineage embedded in a manifest as a reader returns it, or None when there is none."""
    for assertion in manifest.get("assertions", []):
        if assertion.get("label") == LINEAGE_LABEL:
            data = assertion.get("data") or {}
            try:
                return json.loads(data["lineage"])
            except (KeyError, TypeError, ValueError):
                return None
    return None
