"""Copy a run's final outputs (the outputs of nodes nothing else consumes) into a folder.

`reelgraph run graph.yaml --out out/` leaves `out/<node>.<port>.<ext>` files a person can open;
it works the same whether the nodes executed or came from the cache.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

from reelgraph.flows.runtime import Runtime
from reelgraph.nodes import PortKind
from reelgraph.nodes.codecs import CODECS
from reelgraph.storage import repository as repo
from reelgraph.storage.records import DONE_STATUSES

EXTENSIONS = {"text": "txt", "json": "json", "image": "png", "video": "mp4", "audio": "wav",
              "subtitles": "json", "embedding": "safetensors"}


def _safe_name(node_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.=-]+", "_", node_id).strip("_")


def export_final_outputs(runtime: Runtime, run_id: str, directory: str | Path) -> list[Path]:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    node_runs = repo.list_node_runs(runtime.db, run_id)
    consumed = {up for n in node_runs for up, _ in n.inputs.values()}
    finals = [n for n in node_runs if n.node_id not in consumed and n.status in DONE_STATUSES]
    artifacts = repo.get_artifacts(runtime.db, [sha for n in finals for sha in n.outputs.values()])
    written = []
    for node_run in finals:
        for port, sha in node_run.outputs.items():
            artifact = artifacts[sha]
            stem = directory / f"{_safe_name(node_run.node_id)}.{port}"
            if artifact.kind == "images":
                for index, image_sha in enumerate(CODECS[PortKind.IMAGES].children(sha, runtime.store)):
                    target = stem.with_name(f"{stem.name}-{index}.png")
                    shutil.copyfile(runtime.store.local_path(image_sha), target)
                    written.append(target)
            elif artifact.kind in EXTENSIONS:
                target = stem.with_name(f"{stem.name}.{EXTENSIONS[artifact.kind]}")
                shutil.copyfile(runtime.store.local_path(sha), target)
                written.append(target)
            # frames are intermediate by nature: encode them with video.encode to get a file
    return written
