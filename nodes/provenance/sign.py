"""provenance.sign: embed a signed C2PA manifest (actions + reelgraph lineage) in an MP4."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field

from reelgraph.nodes.api import Node, NodeParams, file_param
from reelgraph.nodes.errors import NodeError
from reelgraph.nodes.ports import Input, Output, PortKind
from reelgraph.nodes.values import MediaFile

KEY_ENV, CERT_ENV = "REELGRAPH_C2PA_KEY", "REELGRAPH_C2PA_CERT"
DigitalSourceType = Literal["trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia",
                            "algorithmicMedia", "compositeSynthetic", "digitalCreation"]


def credential_path(ctx, value: str | None, param: str, env: str) -> Path:
    """A param's path (inside the workspace), else the environment's (the operator's choice)."""
    if value:
        return ctx.resolve_path(value, param=param)
    if os.environ.get(env):
        return Path(os.environ[env]).expanduser()
    raise NodeError(f"no {param} to sign with", param=param,
                    hint=f"set the '{param}' param or {env}; `reelgraph keys init` makes a local key and chain")


def sign_mp4(source: Path, output: Path, manifest: dict, credentials, timestamp_url: str | None) -> dict:
    """Write `source` with the manifest embedded to `output`; returns the manifest as read back."""
    import c2pa

    info = c2pa.C2paSignerInfo(credentials.algorithm.encode(), credentials.chain_pem, credentials.key_pem,
                               timestamp_url or None)
    with (c2pa.Signer.from_info(info) as signer, c2pa.Builder.from_json(manifest) as builder,
          open(source, "rb") as source_file, open(output, "w+b") as output_file):
        builder.sign(signer, "video/mp4", source_file, output_file)
    # Read it back: a file that does not verify must not leave this node as "signed".
    with open(output, "rb") as signed_file, c2pa.Reader("video/mp4", signed_file) as reader:
        if reader.get_validation_state() == "Invalid":
            failures = (reader.get_validation_results() or {}).get("activeManifest", {}).get("failure", [])
            raise NodeError("the signed file does not validate: "
                            + "; ".join(f"{f.get('code')}: {f.get('explanation')}" for f in failures))
        return reader.get_active_manifest() or {}


class ProvenanceSign(Node):
    """Sign an MP4 with a C2PA manifest: a `c2pa.created` action with the IPTC digital source type
    (plus `c2pa.edited` / `c2pa.translated` when the lineage shows an edited or localized variant),
    claim generator reelgraph/<version>, and a `dev.reelgraph.lineage` assertion holding the run,
    the graph hash and every upstream node with its models and seeds. Offline unless a time-stamp
    authority is given. Signatures differ run to run (fresh ids and nonces), so it never caches."""

    type = "provenance.sign"
    title = "Sign (C2PA)"
    category = "provenance"
    deterministic = False
    inputs = {"video": Input(PortKind.VIDEO, "The MP4 to sign")}
    outputs = {"video": Output(PortKind.VIDEO, "The same MP4 with the manifest embedded; its meta names "
                                               "the manifest and the signer")}

    class Params(NodeParams):
        key: str | None = file_param(None, description=f"Private key (PEM); default: ${KEY_ENV}")
        certificate: str | None = file_param(None, description="Certificate chain (PEM), signing certificate "
                                                               f"first, then its CA; default: ${CERT_ENV}")
        digital_source_type: DigitalSourceType = Field(
            "trainedAlgorithmicMedia", description="IPTC digital source type of the c2pa.created action")
        title: str = Field("", max_length=200, description="Manifest title; default: '<node id>.mp4'")
        embed_params: bool = Field(True, description="Embed every upstream node's params in the lineage "
                                                     "(turn off when they name private paths or prompts)")
        timestamp_url: str | None = Field(None, description="RFC 3161 time-stamp authority URL; empty: sign "
                                                            "offline, without a trusted time")

    def run(self, ctx, params, *, video: MediaFile):
        import c2pa

        from reelgraph.nodes.provenance.credentials import CredentialError, load_credentials
        from reelgraph.nodes.provenance.manifest import build_manifest, embedded_lineage

        key_path = credential_path(ctx, params.key, "key", KEY_ENV)
        chain_path = credential_path(ctx, params.certificate, "certificate", CERT_ENV)
        try:
            credentials = load_credentials(key_path, chain_path)
        except CredentialError as error:
            raise NodeError(str(error), param="certificate",
                            hint="`reelgraph keys init` makes a working local key and chain") from None
        lineage = ctx.lineage() if ctx.lineage else {"run_id": ctx.run_id, "node_id": ctx.node_id, "nodes": []}
        manifest = build_manifest(embedded_lineage(lineage, include_params=params.embed_params),
                                  title=params.title or f"{ctx.node_id}.mp4",
                                  digital_source_type=params.digital_source_type)
        output = ctx.scratch_path(".mp4")
        ctx.progress(0, 1, "signing")
        try:
            signed = sign_mp4(video.path, output, manifest, credentials, params.timestamp_url)
        except c2pa.C2paError as error:
            output.unlink(missing_ok=True)
            raise NodeError(f"C2PA signing failed: {error}", port="video",
                            hint="the input must be an MP4; check the key and certificate chain") from None
        except BaseException:
            output.unlink(missing_ok=True)
            raise
        ctx.progress(1, 1, "signed")
        meta = {key: value for key, value in video.meta.items() if key != "mime"}
        meta["c2pa"] = {"manifest": signed.get("label"), "signer": credentials.subject,
                        "algorithm": credentials.algorithm}
        return {"video": MediaFile(output, "video/mp4", meta)}


NODE_TYPES = [ProvenanceSign]
