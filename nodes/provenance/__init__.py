"""Provenance: sign videos with C2PA manifests that carry their lineage; invisible watermarks."""
from nodes.provenance.sign import ProvenanceSign
from nodes.provenance.watermark import ProvenanceWatermark

NODE_TYPES = [ProvenanceSign, ProvenanceWatermark]
