"""Bytes and time of frame storage: the explainer and bench.memory's long render, with frame chunks
stored raw (reelgraph before compact frames) and with the lossless codec (nodes/frame_chunks.py).

    .venv/bin/python -m bench.frame_storage [--frames 240] [--codecs raw,zstd-gradient]

Each render runs in a fresh store on the local engine. Prints, per graph and codec, the bytes of
frame chunks stored, wall time and CPU time (this process and its children: on a shared machine
CPU time is the steadier figure), and checks that both codecs give frames with the same bytes.
Goal: frame chunks at least 2x smaller, at most 15% more wall time for the whole run.
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import tempfile
import time
from pathlib import Path

import yaml

from bench.memory import long_render
from reelgraph.flows.api import run_document
from reelgraph.flows.runtime import open_runtime
from reelgraph.nodes import codecs as codecs_module
from reelgraph.nodes.ports import PORT_KINDS, PortKind

REPO = Path(__file__).resolve().parent.parent


def explainer() -> dict:
    document = yaml.safe_load((REPO / "examples" / "explainer.yaml").read_text())
    del document["nodes"]["video"]  # provenance.sign: no key needed to measure frames
    return document


def cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def render(document: dict, codec: str) -> dict:
    codecs_module.DEFAULT_CHUNK_CODEC = codec
    with tempfile.TemporaryDirectory() as folder:
        workspace = Path(folder)
        shutil.copytree(REPO / "examples" / "assets", workspace / "assets")
        runtime = open_runtime(f"sqlite:///{workspace / 'bench.db'}", str(workspace / "store"))
        wall, cpu = time.perf_counter(), cpu_seconds()
        result = run_document(runtime, document, workspace_root=workspace, cpu_slots=2)
        wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
        assert result["status"] == "succeeded", result
        frames, chunk_bytes, fingerprints = 0, 0, {}
        for node_id, node in result["nodes"].items():
            for port, sha in node["outputs"].items():
                manifest = json.loads(runtime.store.read_bytes(sha)) if port == "frames" else None
                if manifest is None:
                    continue
                frames += manifest["count"]
                chunk_bytes += sum(runtime.store.size(child)
                                   for child in PORT_KINDS[PortKind.FRAMES].codec.children(sha, runtime.store))
                decoded = PORT_KINDS[PortKind.FRAMES].codec.decode(sha, {}, runtime.store)
                fingerprints[node_id] = hash_frames(decoded)
        runtime.db.dispose()
    return {"frames": frames, "bytes": chunk_bytes, "wall": wall, "cpu": cpu, "fingerprints": fingerprints}


def hash_frames(frames) -> str:
    import hashlib

    digest = hashlib.sha256()
    for frame in frames:
        digest.update(frame.tobytes())
    return digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=240, help="bench.memory's render length (1080p)")
    parser.add_argument("--codecs", default="raw,zstd-gradient")
    parser.add_argument("--graphs", default="explainer,memory")
    args = parser.parse_args()
    graphs = {"explainer": explainer, "memory": lambda: long_render(args.frames, 1920, 1080)}
    print(f"{'graph':<28} {'codec':<14} {'frames':>7} {'chunk MB':>9} {'ratio':>6} {'wall s':>7} {'cpu s':>7}")
    for name in args.graphs.split(","):
        baseline, label = None, name if name != "memory" else f"memory ({args.frames} x 1080p)"
        for codec in args.codecs.split(","):
            figures = render(graphs[name](), codec)
            baseline = baseline or figures
            assert figures["fingerprints"] == baseline["fingerprints"], "decoded frames differ between codecs"
            print(f"{label:<28} {codec:<14} {figures['frames']:>7} {figures['bytes'] / 1e6:>9.1f} "
                  f"{baseline['bytes'] / figures['bytes']:>6.2f} {figures['wall']:>7.1f} {figures['cpu']:>7.1f}",
                  flush=True)


if __name__ == "__main__":
    main()
