"""provenance.sign: embed a signed C2PA manifest (actions + reelgraph lineage) in an MP4."""
from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Literal

from pydantic import Field

from reelgraph.nodes.api import Node, NodeParams, file_param
from reelgraph.nodes.errors import NodeError
from reelgraph.nodes.ports import Input, Output, PortKind
from reelgraph.nodes.values import MediaFile

KEY_ENV, CERT_ENV = "REELGRAPH_C2PA_KEY", "REELGRAPH_C2PA_CERT"
# Where `reelgraph keys init` writes by default, next to the default database and store; signing
# uses it when neither a param nor the environment names a key, so `reelgraph run` signs after
# one `keys init` with nothing else to configure.
DEFAULT_KEYS_DIR = Path(".reelgraph", "keys")
KEYS_INIT_HINT = "run `reelgraph keys init` (a local key and chain in .reelgraph/keys/), or set the 'key' and " \
                 f"'certificate' params, or {KEY_ENV} and {CERT_ENV}"
DigitalSourceType = Literal["trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia",
                            "algorithmicMedia", "compositeSynthetic", "digitalCreation"]


def default_credential(param: str) -> Path:
    """The file `reelgraph keys init` writes for this param under ./.reelgraph/keys (absolute)."""
    from reelgraph.nodes.provenance.credentials import CHAIN_FILE, KEY_FILE

    return (DEFAULT_KEYS_DIR / (KEY_FILE if param == "key" else CHAIN_FILE)).resolve()


def credential_path(workspace, value: str | None, param: str, env: str) -> Path:
    """A param's path (inside the workspace), else the environment's (the operator's choice), else
    the default key of `reelgraph keys init`."""
    if value:
        return workspace.resolve(value, param=param)
    if os.environ.get(env):
        return Path(os.environ[env]).expanduser()
    default = default_credential(param)
    if default.is_file():
        return default
    raise NodeError(f"no {param} to sign with: no '{param}' param, no ${env}, and no {default}",
                    param=param, hint=KEYS_INIT_HINT, code="signing_key_missing")


# c2pa-python drives Rust through ctypes stream callbacks and is not documented as thread-safe; the
# local engine signs every locale of a campaign in parallel threads, and the campaign run failed
# intermittently under load once signing was added. Signing takes well under a second: one at a time.
_SIGNING = threading.Lock()


def sign_mp4(source: Path, output: Path, manifest: dict, credentials, timestamp_url: str | None) -> dict:
    """Write `source` with the manifest embedded to `output`; returns the manifest as read back."""
    with _SIGNING:
        return _sign_mp4(source, output, manifest, credentials, timestamp_url)


def _sign_mp4(source: Path, output: Path, manifest: dict, credentials, timestamp_url: str | None) -> dict:
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

    @classmethod
    def check_environment(cls, params, workspace) -> list[NodeError]:
        """A graph that signs without a key fails at validation, before anything renders."""
        problems = []
        for param, env in (("key", KEY_ENV), ("certificate", CERT_ENV)):
            if getattr(params, param):
                continue  # a file param: validation's file checks cover it
            try:
                path = credential_path(workspace, getattr(params, param), param, env)
            except NodeError as error:
                problems.append(error)
                continue
            if not path.is_file():
                problems.append(NodeError(f"no {param} file at {path} (from ${env})", param=param,
                                          hint=KEYS_INIT_HINT, code="signing_key_missing"))
        return problems

    def run(self, ctx, params, *, video: MediaFile):
        import c2pa

        from reelgraph.nodes.provenance.credentials import CredentialError, load_credentials
        from reelgraph.nodes.provenance.manifest import build_manifest, embedded_lineage

        key_path = credential_path(ctx.workspace, params.key, "key", KEY_ENV)
        chain_path = credential_path(ctx.workspace, params.certificate, "certificate", CERT_ENV)
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
