"""What a Ray cluster's nodes can place, for the engines that submit to Ray (ray, prefect-ray).

Ray places a task or actor on ONE node: a request larger than every single node's offer is
infeasible, and Ray keeps it pending for ever without a word (a 2-CPU encode on a cluster of
1-CPU nodes hung keyframes_tiny). So before submitting, an engine asks `ClusterOffers`:
- CPUs are capped at the largest alive node's CPUs, as the local engine caps them at its slots
  (a node's CPU count is a parallelism hint; torch's threads follow the declared count anyway).
- GPUs cannot be capped (a model sized for two GPUs does not fit on one): a node asking for more
  GPUs than any single node has is refused at once, naming the node, what it asks for and what
  the nodes offer. A cluster with no GPU at all is the exception the ray engine already makes:
  GPU nodes run on CPU workers, with a warning.

The offers are read once per run (one `ray.nodes()` call): an autoscaling cluster that would add
a larger node later is not foreseen here; such a cluster should keep one node of each size up.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ClusterOffers:
    nodes: tuple[dict[str, float], ...]  # each alive Ray node's total resources
    # the largest node's offer of each resource: asked for every submit, thousands per run
    maxima: dict[str, float] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        maxima: dict[str, float] = {}
        for node in self.nodes:
            for resource, amount in node.items():
                maxima[resource] = max(maxima.get(resource, 0.0), amount)
        object.__setattr__(self, "maxima", maxima)

    @classmethod
    def read(cls) -> "ClusterOffers":
        import ray

        return cls(tuple(dict(n.get("Resources", {})) for n in ray.nodes() if n.get("Alive")))

    def largest(self, resource: str) -> float:
        return self.maxima.get(resource, 0.0)

    @property
    def has_gpus(self) -> bool:
        return self.largest("GPU") > 0

    def cpus_for(self, resources: dict) -> float:
        """The CPUs to ask Ray for: the declared count, at most the largest node's."""
        return min(float(resources.get("cpus", 1)), self.largest("CPU"))

    def gpus_for(self, resources: dict) -> float:
        """The GPUs to ask Ray for: none on a cluster without GPUs (the node runs on a CPU)."""
        return float(resources.get("gpus", 0)) if self.has_gpus else 0.0

    def refusal(self, node_id: str, resources: dict) -> str | None:
        """Why no node of this cluster can ever run this node, or None when one can."""
        gpus = float(resources.get("gpus", 0))
        if self.has_gpus and gpus > self.largest("GPU"):
            return (f"the Ray cluster cannot place {node_id}: it asks for GPU={gpus:g} on one node, and the "
                    f"largest node has GPU={self.largest('GPU'):g} (nodes offer {self.describe()}); "
                    f"add a node with {gpus:g} GPUs or lower the node's GPUs")
        if float(resources.get("cpus", 1)) > 0 and self.largest("CPU") <= 0:
            return (f"the Ray cluster cannot place {node_id}: it asks for CPUs and no node offers any "
                    f"(nodes offer {self.describe()})")
        return None

    def describe(self) -> str:
        offers = [f"CPU={node.get('CPU', 0):g} GPU={node.get('GPU', 0):g}" for node in self.nodes]
        return "; ".join(offers) or "nothing (no node is alive)"

