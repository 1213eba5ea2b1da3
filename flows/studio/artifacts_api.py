"""Artifacts: metadata (as `artifacts show --json`), content with Range, previews. An artifact is
named by the sha256 of its bytes, so every response about one is cacheable forever."""
from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import FileResponse

from reelgraph.flows.studio.context import Studio, not_found, studio
from reelgraph.flows.studio.previews import NoPreview, preview_path
from reelgraph.storage import ArtifactCorrupted, ArtifactMissing
from reelgraph.storage import repository as repo
from reelgraph.storage.records import ArtifactInfo

router = APIRouter(tags=["artifacts"])
IMMUTABLE = "public, max-age=31536000, immutable"


def _artifact(app_studio: Studio, sha: str) -> ArtifactInfo:
    matches = repo.find_artifacts(app_studio.runtime.db, sha.lower())
    if len(matches) != 1:
        raise not_found(f"no artifact matches '{sha}'") if not matches else HTTPException(
            409, f"'{sha}' matches several artifacts; give more characters")
    return matches[0]


@router.get("/artifacts/{sha}", summary="An artifact's kind, size, path and metadata (`artifacts show --json`)")
def show_artifact(sha: str, app_studio: Studio = Depends(studio)) -> dict:
    artifact = _artifact(app_studio, sha)
    info = artifact.to_json()
    try:
        info["path"] = str(app_studio.runtime.store.local_path(artifact.sha256))
    except FileNotFoundError:
        info["path"] = None
    return info


@router.get("/artifacts/{sha}/content", summary="The artifact's bytes (Range requests; cached forever)",
            response_class=FileResponse)
def artifact_content(sha: str, app_studio: Studio = Depends(studio)) -> FileResponse:
    artifact = _artifact(app_studio, sha)
    try:
        path = app_studio.runtime.store.local_path(artifact.sha256)
    except (ArtifactMissing, ArtifactCorrupted, FileNotFoundError) as error:
        raise HTTPException(410, f"{error}; re-run the node that produced it (reelgraph resume)") from None
    return FileResponse(path, media_type=artifact.mime, headers={
        "Cache-Control": IMMUTABLE, "ETag": f'"{artifact.sha256}"', "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox"})


@router.get("/artifacts/{sha}/preview", summary="A JPEG thumbnail (image, first frame, video poster)",
            response_class=FileResponse)
def artifact_preview(sha: str, w: int = Query(256, ge=16, le=2048), app_studio: Studio = Depends(studio)) -> FileResponse:
    artifact = _artifact(app_studio, sha)
    try:
        path = preview_path(app_studio.runtime.store, artifact, w, app_studio.config.state_dir / "previews")
    except NoPreview as error:
        raise HTTPException(415, str(error)) from None
    except (ArtifactMissing, ArtifactCorrupted, FileNotFoundError) as error:
        raise HTTPException(410, str(error)) from None
    return FileResponse(path, media_type="image/jpeg", headers={"Cache-Control": IMMUTABLE,
                                                                "ETag": f'"{artifact.sha256}-{w}"'})
