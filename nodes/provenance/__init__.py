"""Provenance: sign videos with C2PA manifests that carry their lineage; invisible watermarks."""
from reelgraph.nodes.provenance.sign import ProvenanceSign
from reelgraph.nodes.provenance.watermark import ProvenanceWatermark

NODE_TYPES = [ProvenanceSign, ProvenanceWatermark]
