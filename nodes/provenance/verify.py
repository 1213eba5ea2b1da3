"""Verify a file's C2PA manifest: is the signature good and the content unchanged since signing?

Two questions a C2PA validator answers together are kept apart here:
- integrity (the claim signature validates, every hashed assertion and the file's bytes match):
  any failure makes the file invalid;
- trust (the signer's CA is on the verifier's trust list): a local CA from `reelgraph keys init`
  is on nobody's list, so "untrusted" is a warning, not a failure. Given the CA as a trust
  anchor, the state becomes "Trusted".
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from reelgraph.nodes.provenance.manifest import LINEAGE_LABEL, read_lineage

# Failure codes that say who signed is not trusted here, not that anything was altered.
TRUST_CODES = frozenset({"signingCredential.untrusted", "timeStamp.untrusted"})


@dataclass
class Verification:
    valid: bool
    state: str                       # no_manifest, unreadable, Invalid, Valid, Trusted
    errors: list[dict] = field(default_factory=list)    # {code, explanation}
    warnings: list[dict] = field(default_factory=list)
    manifest: dict | None = None     # summary: label, title, claim generator, signer, actions
    lineage: dict | None = None

    def to_json(self) -> dict:
        return {"valid": self.valid, "state": self.state, "errors": self.errors, "warnings": self.warnings,
                "manifest": self.manifest, "lineage": self.lineage}


def _status(entry: dict) -> dict:
    return {"code": entry.get("code", ""), "explanation": entry.get("explanation", "")}


def manifest_summary(manifest: dict) -> dict:
    generators = manifest.get("claim_generator_info") or []
    actions = []
    for assertion in manifest.get("assertions", []):
        if assertion.get("label", "").startswith("c2pa.actions"):
            actions += [{key: action[key] for key in ("action", "digitalSourceType", "description", "parameters")
                         if key in action} for action in assertion.get("data", {}).get("actions", [])]
    lineage_summary = next((assertion.get("data") for assertion in manifest.get("assertions", [])
                            if assertion.get("label") == LINEAGE_LABEL), None)
    return {
        "label": manifest.get("label"),
        "title": manifest.get("title"),
        "claim_generator": " ".join(f"{g.get('name')}/{g.get('version')}" for g in generators)
                           or manifest.get("claim_generator"),
        "signer": manifest.get("signature_info", {}),
        "actions": actions,
        "lineage_summary": {k: v for k, v in (lineage_summary or {}).items() if k != "lineage"} or None,
    }


def _context(trust_anchors: Path | None):
    import c2pa

    if trust_anchors is None:
        return None
    return c2pa.Context.from_dict({"verify": {"verify_trust": True},
                                   "trust": {"trust_anchors": trust_anchors.read_text()}})


def verify_file(path: Path, *, trust_anchors: Path | None = None) -> Verification:
    """Read and validate the manifest embedded in `path` (MP4, or any format c2pa reads)."""
    import mimetypes

    import c2pa

    mime = mimetypes.guess_type(path.name)[0]  # None lets c2pa detect the format from the bytes
    try:
        with open(path, "rb") as file:
            reader = c2pa.Reader.try_create(mime, file, None, context=_context(trust_anchors))
            if reader is None:
                return Verification(False, "no_manifest", [{"code": "manifest.missing",
                                                            "explanation": "the file carries no C2PA manifest"}])
            with reader:
                state = reader.get_validation_state() or "Invalid"
                results = (reader.get_validation_results() or {}).get("activeManifest", {})
                manifest = reader.get_active_manifest() or {}
    except c2pa.C2paError as error:
        return Verification(False, "unreadable", [{"code": "manifest.unreadable", "explanation": str(error)}])
    failures = [_status(entry) for entry in results.get("failure", [])]
    errors = [entry for entry in failures if entry["code"] not in TRUST_CODES]
    warnings = [entry for entry in failures if entry["code"] in TRUST_CODES]
    valid = state in ("Valid", "Trusted") and not errors
    return Verification(valid, state, errors, warnings, manifest_summary(manifest), read_lineage(manifest))
