"""keys, verify, lineage, watermark: where a video came from, and whether it is still what was signed."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from reelgraph.flows.cli.common import EXIT_FAILED, DbOption, JsonOption, StoreOption, console, err_console, fail, print_json

keys_app = typer.Typer(help="Signing keys for C2PA manifests.", no_args_is_help=True)
watermark_app = typer.Typer(help="Invisible watermarks.", no_args_is_help=True)

TRUST_ENV = "REELGRAPH_C2PA_TRUST"
ExistingFile = Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="A video file")]


@keys_app.command("init")
def keys_init(directory: Annotated[Path, typer.Argument(help="Where to write the key and certificates")]
              = Path(".reelgraph/keys"),
              organization: Annotated[str, typer.Option(help="Organization named in the certificates")]
              = "reelgraph local",
              days: Annotated[int, typer.Option(min=1, max=3650, help="Validity of the signing certificate")] = 365,
              force: Annotated[bool, typer.Option(help="Replace an existing key")] = False) -> None:
    """Make a local CA and a signing certificate it issued (ES256), for provenance.sign."""
    from reelgraph.nodes.provenance.credentials import KEY_FILE, create_local_ca

    if (directory / KEY_FILE).exists() and not force:
        # Idempotent, so `make demo` and scripts can call it every time: an existing key is kept.
        console.print(f"kept the existing key {(directory / KEY_FILE).resolve()} (--force replaces it; files "
                      "signed with it still verify)", highlight=False, markup=False)
        return
    paths = create_local_ca(directory, organization=organization, days=days)
    key, chain, ca = (paths[role].resolve() for role in ("key", "chain", "ca"))
    console.print(f"wrote [bold]{key}[/] (private key, mode 600)\n"
                  f"      [bold]{chain}[/] (signing certificate + CA)\n"
                  f"      [bold]{ca}[/] (the CA: give it to verifiers as a trust anchor)", highlight=False)
    console.print("\nprovenance.sign uses .reelgraph/keys/ of the folder `reelgraph run` starts in; elsewhere:\n"
                  f"  export REELGRAPH_C2PA_KEY={key}\n  export REELGRAPH_C2PA_CERT={chain}\n"
                  "or set the params of a provenance.sign node: {key: ..., certificate: ...}\n"
                  f"verify against it: reelgraph verify VIDEO --trust {ca}\n"
                  "A local CA is on no public trust list: other C2PA tools show such files as valid but "
                  "from an untrusted signer (docs/provenance.md: signing with a real certificate).",
                  highlight=False, markup=False)


def _print_lineage_nodes(lineage: dict) -> None:
    table = Table(title="upstream nodes")
    for column in ("node", "type", "bindings", "models", "seeds", "outputs"):
        table.add_column(column)
    for node in lineage.get("nodes", []):
        outputs = ", ".join(f"{port}={sha[:12]}" for port, sha in (node.get("outputs") or {}).items())
        bindings = ", ".join(f"{k}={v}" for k, v in (node.get("bindings") or {}).items())
        table.add_row(escape(node["node_id"]), f"{node['type']} v{node.get('version', '?')}", bindings,
                      ", ".join(node.get("models", [])), ", ".join(str(s) for s in node.get("seeds", [])), outputs)
    console.print(table)


def verify(video: ExistingFile,
           trust: Annotated[Path | None, typer.Option(
               exists=True, dir_okay=False, envvar=TRUST_ENV,
               help="CA certificate(s) (PEM) to trust, e.g. the ca.pem of `keys init`")] = None,
           json_output: JsonOption = False) -> None:
    """Check a video's C2PA manifest: exit 0 when valid, 1 when altered after signing or unsigned."""
    from reelgraph.nodes.provenance.verify import verify_file

    result = verify_file(video, trust_anchors=trust)
    if json_output:
        print_json(result.to_json())
    else:
        _print_verification(video, result)
    if not result.valid:
        raise typer.Exit(EXIT_FAILED)


def _print_verification(video: Path, result) -> None:
    if result.valid:
        trusted = "trusted signer" if result.state == "Trusted" else "signer not on a trust list"
        console.print(f"[bold green]valid[/]: {video} is unchanged since it was signed ({trusted})")
    else:
        err_console.print(f"[bold red]invalid[/]: {video} ({result.state})", highlight=False)
    for error in result.errors:
        err_console.print(f"  [red]error[/] {error['code']}: {error['explanation']}", highlight=False)
    for warning in result.warnings:
        console.print(f"  [yellow]warning[/] {warning['code']}: {warning['explanation']}", highlight=False)
    if result.manifest:
        manifest = result.manifest
        signer = manifest["signer"]
        console.print(f"manifest {manifest['label']}: '{manifest['title']}' by {manifest['claim_generator']}, "
                      f"signed by {signer.get('common_name')} ({signer.get('issuer')}, {signer.get('alg')})",
                      highlight=False, markup=False)
        for action in manifest["actions"]:
            source = action.get("digitalSourceType", "").rsplit("/", 1)[-1]
            console.print(f"  {action['action']}{f' ({source})' if source else ''}: {action.get('description', '')}",
                          highlight=False, markup=False)
    if result.lineage:
        lineage = result.lineage
        console.print(f"lineage: run {lineage.get('run_id')} of graph '{lineage.get('graph')}' "
                      f"(hash {str(lineage.get('graph_id', ''))[:12]}), node {lineage.get('node_id')}; "
                      f"models: {', '.join(lineage.get('models', [])) or 'none'}; "
                      f"seeds: {', '.join(map(str, lineage.get('seeds', []))) or 'none'}",
                      highlight=False, markup=False)
        _print_lineage_nodes(lineage)


def lineage(target: Annotated[str, typer.Argument(help="A file (found by the hash of its bytes) or a sha256 prefix")],
            db: DbOption = None, store: StoreOption = None, json_output: JsonOption = False) -> None:
    """How an artifact was made: the run, the graph and every upstream node with its models and seeds."""
    from reelgraph.flows.provenance import ArtifactNotFound, artifact_lineage
    from reelgraph.flows.runtime import open_runtime

    runtime = open_runtime(db, store)
    try:
        found = artifact_lineage(runtime, target)
    except ArtifactNotFound as error:
        if Path(target).is_file():
            _embedded_lineage_or_fail(Path(target), str(error), json_output)
            return
        fail(str(error), as_json=json_output)
    if json_output:
        print_json({"source": "database", **found})
        return
    artifact = found["artifact"]
    console.print(f"artifact {artifact['sha256'][:16]} ({artifact['kind']}, {artifact['size']} bytes) is output "
                  f"'{found['port']}' of node [bold]{found['node_id']}[/]", highlight=False)
    console.print(f"run [bold]{found['run_id']}[/] ({found['run_status']}, {found['engine']}, {found['created_at']}) "
                  f"of graph [bold]{found['graph']}[/] (hash {found['graph_id'][:12]})", highlight=False)
    console.print(f"models: {', '.join(found['models']) or 'none'}; "
                  f"seeds: {', '.join(map(str, found['seeds'])) or 'none'}", highlight=False, markup=False)
    _print_lineage_nodes(found)


def _embedded_lineage_or_fail(path: Path, reason: str, json_output: bool) -> None:
    """A file the database does not know may still carry its lineage in a C2PA manifest."""
    from reelgraph.nodes.provenance.verify import verify_file

    result = verify_file(path)
    if result.lineage is None:
        fail(reason, as_json=json_output)
    note = "not in this database; lineage read from the file's C2PA manifest"
    if json_output:
        print_json({"source": "manifest", "manifest_valid": result.valid, "note": note, **result.lineage})
        return
    console.print(f"[yellow]{note} ({'valid' if result.valid else 'INVALID'} signature)[/]")
    console.print(f"run {result.lineage.get('run_id')} of graph '{result.lineage.get('graph')}'", highlight=False)
    _print_lineage_nodes(result.lineage)


@watermark_app.command("detect")
def watermark_detect(video: ExistingFile,
                     frames: Annotated[int, typer.Option(min=1, max=10_000, help="Frames to read and vote over")] = 32,
                     method: Annotated[str, typer.Option(help="The method it was embedded with")] = "dwtDctSvd",
                     strength: Annotated[int, typer.Option(min=8, max=128, help="The strength it was embedded "
                                                                                "with")] = 72,
                     json_output: JsonOption = False) -> None:
    """Look for a provenance.watermark payload: exit 0 when found, 1 when not."""
    from reelgraph.nodes.provenance.watermark_codec import detect_in_video

    if method not in ("dwtDctSvd", "dwtDct"):
        fail(f"unknown method '{method}'; use dwtDctSvd or dwtDct", as_json=json_output)
    try:
        found = detect_in_video(video, frames=frames, method=method, strength=strength)
    except ValueError as error:
        fail(str(error), as_json=json_output)
    if json_output:
        print_json({"found": found.found, "payload": found.payload, "frames": found.frames,
                    "agreement": round(found.agreement, 4), "method": found.method, "strength": found.strength})
    elif found.found:
        console.print(f"[bold green]found[/] payload '{found.payload}' in {video} ({found.frames} frames, "
                      f"bit agreement {found.agreement:.0%})", highlight=False)
    else:
        err_console.print(f"no watermark found in {video} ({found.frames} frames read, {found.method} at "
                          f"strength {found.strength})", highlight=False)
    if not found.found:
        raise typer.Exit(EXIT_FAILED)

