"""Uploads into the graphs folder (images, masks, catalogs, audio), so graphs can use them.

The body is the file itself (`fetch(url, {method: "POST", body: file})` or `curl --data-binary`),
which needs no multipart parser. Only known extensions are accepted, images must open as images,
and the body is counted while it streams: a file over the limit is refused without being kept.
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from PIL import Image, UnidentifiedImageError

from reelgraph.flows.studio import graph_files
from reelgraph.flows.studio.context import Studio, studio
from reelgraph.flows.studio.models import Upload
from reelgraph.nodes.hashing import sha256_file

router = APIRouter(tags=["uploads"])
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
ALLOWED_SUFFIXES = IMAGE_SUFFIXES + (".po", ".pot", ".xlf", ".xliff", ".json", ".yaml", ".yml", ".srt", ".vtt",
                                     ".wav", ".mp3", ".flac", ".ogg", ".m4a", ".txt")
SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def _target_name(name: str) -> str:
    base = SAFE_NAME.sub("_", Path(name).name).lstrip("._")
    if not base or not base.lower().endswith(ALLOWED_SUFFIXES):
        raise HTTPException(415, f"'{name}': upload images ({', '.join(IMAGE_SUFFIXES)}), catalogs (.po, .xliff, "
                                 ".json), subtitles (.srt, .vtt) or audio (.wav, .mp3, .flac, .ogg, .m4a)")
    return base


@router.post("/uploads", status_code=201, summary="Upload a file into the graphs folder (body = the file)")
async def upload(request: Request, name: str = Query(..., description="The file's name, e.g. mask.png"),
                 folder: str = Query("uploads", description="A folder inside the graphs folder"),
                 app_studio: Studio = Depends(studio)) -> Upload:
    target_name = _target_name(name)
    limit = app_studio.config.upload_limit
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"the file is {int(declared):,} bytes; the limit is {limit:,}")
    root = app_studio.config.graphs_dir.resolve()
    try:
        target_dir = graph_files.resolve(root, f"{folder}/x", suffixes=()).parent
    except graph_files.BadPath as error:
        raise HTTPException(400, str(error)) from None
    target_dir.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    descriptor, temporary = tempfile.mkstemp(dir=target_dir, prefix=".upload-")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise HTTPException(413, f"the file is over the limit of {limit:,} bytes")
                digest.update(chunk)
                handle.write(chunk)
        if target_name.lower().endswith(IMAGE_SUFFIXES):
            try:
                with Image.open(temporary) as image:
                    image.verify()
            except (UnidentifiedImageError, OSError, SyntaxError) as error:
                raise HTTPException(415, f"'{name}' is not a readable image: {error}") from None
        sha = digest.hexdigest()
        target = target_dir / target_name
        if target.exists() and sha256_file(target) != sha:  # keep both: name by content
            target = target_dir / f"{target.stem}-{sha[:8]}{target.suffix}"
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return Upload(path=target.relative_to(root).as_posix(), sha256=sha, size=size)
