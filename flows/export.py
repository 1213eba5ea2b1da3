"""Copy a run's final outputs (the outputs of nodes nothing else consumes) into a folder.

`reelgraph run graph.yaml --out out/` leaves `out/<node>.<port>.<ext>` files a person can open;
it works the same whether the nodes executed or came from the cache. Which kinds are exported, and
with which extension, is each port kind's spec (`nodes.ports.PORT_KINDS`).
"""
from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from reelgraph.flows.runtime import Runtime
from reelgraph.nodes.ports import PORT_KINDS
from reelgraph.storage import repository as repo
from reelgraph.storage.records import DONE_STATUSES


def _safe_name(node_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.=-]+", "_", node_id).strip("_")


class ExportFailed(Exception):
    """--out cannot take the outputs: said before a run starts when it can be, after it when not."""


def _final_node_runs(node_runs: list) -> list:
    consumed = {up for n in node_runs for up, _ in n.inputs.values()}
    return [n for n in node_runs if n.node_id not in consumed]


def check_out_folder(runtime: Runtime, run_id: str, directory: str | Path) -> None:
    """Refuse, before the run starts, an --out that is a file, a folder that cannot be written,
    or one where a final output's file name is taken by a folder."""
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise ExportFailed(f"--out {directory} is a file, not a folder; name a folder (it is created if missing)")
    existing = next((p for p in (directory, *directory.parents) if p.exists()), Path("."))
    if not existing.is_dir():
        raise ExportFailed(f"--out {directory}: {existing} is a file, so the folder cannot be created there")
    try:  # os.access says yes to root on a read-only mount: try it
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as error:
        raise ExportFailed(f"--out {directory}: cannot write in {existing} ({error.strerror}); choose a "
                           "writable folder") from None
    if not directory.is_dir():
        return  # made when the outputs are copied: nothing in it can be in the way
    for node_run in _final_node_runs(repo.list_node_runs(runtime.db, run_id)):
        node_type = runtime.registry.get(node_run.type)
        for port, output in (node_type.outputs.items() if node_type else ()):
            spec = PORT_KINDS.get(output.kind)
            if spec is None or spec.extension is None:
                continue
            stem = f"{_safe_name(node_run.node_id)}.{port}"
            pattern = f"{stem}-*.{spec.extension}" if spec.export_parts else f"{stem}.{spec.extension}"
            taken = next((path for path in directory.glob(pattern) if path.is_dir()), None)
            if taken is not None:
                raise ExportFailed(f"--out {directory}: {taken.name} is a folder, but the output "
                                   f"{node_run.node_id}.{port} is written there; move it or choose another --out")


def export_final_outputs(runtime: Runtime, run_id: str, directory: str | Path) -> list[Path]:
    """Copy the final outputs; an OSError (disk full, a name taken meanwhile) is ExportFailed."""
    try:
        return _export(runtime, run_id, Path(directory))
    except OSError as error:
        where = f" ({error.filename})" if error.filename else ""
        raise ExportFailed(f"could not copy the outputs into --out {directory}: {error.strerror or error}"
                           f"{where}; the run's outputs stay in the store (`reelgraph runs show`), "
                           "run again with another --out to copy them") from None


def _export(runtime: Runtime, run_id: str, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    node_runs = repo.list_node_runs(runtime.db, run_id)
    finals = [n for n in _final_node_runs(node_runs) if n.status in DONE_STATUSES]
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
