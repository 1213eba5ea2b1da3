"""Copy a run's final outputs (the outputs of nodes nothing else consumes) into a folder.

`reelgraph run graph.yaml --out out/` leaves `out/<node>.<port>.<ext>` files a person can open;
it works the same whether the nodes executed or came from the cache. Which kinds are exported, and
with which extension, is each port kind's spec (`nodes.ports.PORT_KINDS`).
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

from reelgraph.flows.runtime import Runtime
from reelgraph.nodes.ports import PORT_KINDS
from reelgraph.storage import repository as repo
from reelgraph.storage.records import DONE_STATUSES


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
            spec = PORT_KINDS.get(artifacts[sha].kind)
            if spec is None or spec.extension is None:  # not a file a person opens (frames), or unknown
                continue
            stem = f"{_safe_name(node_run.node_id)}.{port}"
            if spec.export_parts:
                files = {f"{stem}-{index}.{spec.extension}": part
                         for index, part in enumerate(spec.codec.children(sha, runtime.store))}
            else:
                files = {f"{stem}.{spec.extension}": sha}
            for name, blob in files.items():
                shutil.copyfile(runtime.store.local_path(blob), directory / name)
                written.append(directory / name)
    return written
