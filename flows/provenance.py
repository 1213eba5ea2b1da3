"""From a file or a hash back to the node run that made it, and from there to its whole lineage.

    artifact_lineage(runtime, "out/video.mp4")   # a file: its bytes are hashed
    artifact_lineage(runtime, "3fa9c2")          # a sha256 prefix

Artifacts are content-addressed, so hashing a file finds its record wherever the file was copied
to. The producer is the node run that executed (artifacts.producer_node_run_id); node runs that
reused it from the cache are listed too.
"""
from __future__ import annotations

from pathlib import Path

from reelgraph.flows.lineage import node_lineage
from reelgraph.flows.runtime import Runtime
from reelgraph.nodes.hashing import sha256_file
from reelgraph.storage import repository as repo
from reelgraph.storage.records import ArtifactInfo, NodeRunInfo


class ArtifactNotFound(LookupError):
    """The target names no recorded artifact; the message says why."""


def resolve_artifact(runtime: Runtime, target: str) -> ArtifactInfo:
    """The artifact a file (by the hash of its bytes) or a sha256 prefix names."""
    path = Path(target)
    if path.is_file():
        sha = sha256_file(path)
        found = repo.get_artifacts(runtime.db, [sha]).get(sha)
        if found is None:
            raise ArtifactNotFound(f"no artifact in this database has the bytes of {target} (sha256 {sha}); "
                                   "was it made with another --db, or changed since?")
        return found
    prefix = target.lower()
    if len(prefix) < 4 or any(c not in "0123456789abcdef" for c in prefix):
        raise ArtifactNotFound(f"'{target}' is neither a file nor a sha256 prefix (4+ hex digits)")
    matches = repo.find_artifacts(runtime.db, prefix)
    if not matches:
        raise ArtifactNotFound(f"no artifact matches '{target}'")
    if len(matches) > 1:
        raise ArtifactNotFound(f"'{target}' matches several artifacts; give more digits")
    return matches[0]


def producing_node_run(runtime: Runtime, artifact: ArtifactInfo) -> tuple[NodeRunInfo, str, list[NodeRunInfo]] | None:
    """(the node run that made the artifact, its port, the node runs that reused it), or None."""
    holders = repo.node_runs_with_output(runtime.db, artifact.sha256)
    if not holders:
        return None
    producer = next((pair for pair in holders if pair[0].id == artifact.producer_node_run_id), holders[0])
    reused = [node_run for node_run, _ in holders if node_run.id != producer[0].id]
    return producer[0], producer[1], reused


def artifact_lineage(runtime: Runtime, target: str) -> dict:
    """The artifact, the node run that produced it, and that node's lineage (run, graph, every
    upstream node with its models and seeds)."""
    artifact = resolve_artifact(runtime, target)
    found = producing_node_run(runtime, artifact)
    if found is None:
        raise ArtifactNotFound(f"artifact {artifact.sha256[:12]} is recorded but no node run lists it as "
                               "an output")
    node_run, port, reused = found
    return {"artifact": artifact.to_json(), "port": port,
            "reused_by": [{"run_id": n.run_id, "node_id": n.node_id} for n in reused],
            **node_lineage(runtime, node_run.run_id, node_run.node_id)}
