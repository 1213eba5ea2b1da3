"""Scheduling quality of the Ray engine on a campaign-shaped graph, on a simulated 4-GPU cluster.

    .venv/bin/python -m bench.scheduling

12 locales x 6 scenes with shared upstream work: keyframes per scene (GPU) and their camera
motion (CPU) are computed once and shared by every locale; translation and voice-over (CPU) run
once per locale; a lip-sync pass (GPU) runs per locale and scene. Every node sleeps a known time.

lower bound = max(critical path, total GPU work / 4). The makespan is measured from the first node
start to the last node finish (the schedule), and also as the whole run's wall time (engine start,
GPU workers' start and database writes included). Goal: makespan / lower bound <= 1.10.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import networkx as nx

from reelgraph.flows.api import create_run_from, execute_run
from reelgraph.flows.runtime import open_runtime
from reelgraph.graph import GraphBuilder, plan_document
from reelgraph.storage import repository as repo

LOCALES = ["en", "es", "ca", "ar", "fr", "de", "it", "pt", "ja", "ko", "zh", "hi"]
SCENES = list(range(1, 7))
KEYFRAME_S, MOTION_S, TRANSLATE_S, VOICE_S, LIPSYNC_S = 0.6, 0.2, 0.1, 0.2, 0.4
GPUS = 4


def campaign_graph(scale: float = 1.0) -> dict:
    g = GraphBuilder("campaign-bench", matrix={"locale": LOCALES, "scene": SCENES})
    kf = g.add("keyframes", "util.gpu_sleep", seconds=KEYFRAME_S * scale, label="scene ${scene}")
    motion = g.add("motion", "util.sleep", inputs={"value": kf.value}, seconds=MOTION_S * scale)
    tr = g.add("translate", "util.sleep", seconds=TRANSLATE_S * scale, label="${locale}")
    vo = g.add("voiceover", "util.sleep", inputs={"value": tr.value}, seconds=VOICE_S * scale)
    g.add("lipsync", "util.gpu_sleep", inputs={"value": motion.value, "after": vo.value}, seconds=LIPSYNC_S * scale)
    return g.document()


def lower_bound(document: dict) -> tuple[float, float, float]:
    plan = plan_document(document, workspace_root=".")
    dag = nx.DiGraph()
    for node in plan.nodes.values():
        dag.add_node(node.id, seconds=node.params["seconds"])
        for upstream in node.upstream_ids:
            dag.add_edge(upstream, node.id)
    longest: dict[str, float] = {}
    for node_id in nx.topological_sort(dag):
        longest[node_id] = dag.nodes[node_id]["seconds"] + max((longest[u] for u in dag.predecessors(node_id)), default=0)
    critical = max(longest.values())
    gpu_work = sum(n.params["seconds"] for n in plan.nodes.values() if n.resources.gpus)
    return max(critical, gpu_work / GPUS), critical, gpu_work


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every duration")
    args = parser.parse_args()
    import ray

    ray.init(num_cpus=2, num_gpus=GPUS, include_dashboard=False, log_to_driver=False, namespace="reelgraph")
    document = campaign_graph(args.scale)
    bound, critical, gpu_work = lower_bound(document)
    with tempfile.TemporaryDirectory() as folder:
        runtime = open_runtime(f"sqlite:///{Path(folder) / 'bench.db'}", str(Path(folder) / "store"))
        run_id, plan, _ = create_run_from(runtime, document, engine="ray", workspace_root=folder)
        started = time.perf_counter()
        status = execute_run(runtime, run_id)
        wall = time.perf_counter() - started
        node_runs = repo.list_node_runs(runtime.db, run_id)
        assert status == "succeeded", status
        makespan = (max(n.finished_at for n in node_runs) - min(n.started_at for n in node_runs)).total_seconds()
    ray.shutdown()
    gpu_nodes = sum(1 for n in plan.nodes.values() if n.resources.gpus)
    print(f"campaign {len(LOCALES)} locales x {len(SCENES)} scenes: {len(plan.nodes)} nodes ({gpu_nodes} on GPU), "
          f"{GPUS} simulated GPUs, 2 CPUs")
    print(f"critical path {critical:.2f} s, GPU work {gpu_work:.2f} s / {GPUS} = {gpu_work / GPUS:.2f} s, "
          f"lower bound {bound:.2f} s")
    print(f"{'measure':<28} {'seconds':>8} {'/ bound':>8} {'goal':>6}")
    print(f"{'schedule makespan':<28} {makespan:>8.2f} {makespan / bound:>8.3f} {'1.10':>6}")
    print(f"{'run wall time (all in)':<28} {wall:>8.2f} {wall / bound:>8.3f}")


if __name__ == "__main__":
    main()
