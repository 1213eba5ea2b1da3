"""Reading image files as 8-bit RGB: every mode Pillow opens is converted correctly or refused,
and no file is decoded past a pixel budget.

Why not `Image.open(path).convert("RGB")`: it clips 16-bit grey to its low byte range (a normal
16-bit PNG comes out almost white), turns float samples in 0..1 into black, drops alpha (so the
colour hidden under transparent pixels shows, magenta in many palettes), and ignores the EXIF
orientation a phone writes instead of rotating the pixels. Each mode has its own rule below;
a mode without one is refused with what to do.

Budget: Pillow reads the size from the header without decoding, so every file's size is checked
(each image, then the node's total) before any pixel is decoded. A 12,000 x 12,000 PNG of 140 KB
would otherwise cost 430 MB as RGB and more while converting. The caps are settings:
REELGRAPH_MAX_IMAGE_PIXELS (one image) and REELGRAPH_MAX_NODE_PIXELS (all the images one node
loads). Images are decoded one at a time, the source dropped as soon as its RGB copy exists.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reelgraph.nodes.errors import NodeError

IMAGE_PIXELS_ENV = "REELGRAPH_MAX_IMAGE_PIXELS"
NODE_PIXELS_ENV = "REELGRAPH_MAX_NODE_PIXELS"
DEFAULT_MAX_IMAGE_PIXELS = 50_000_000    # 8K UHD is 33 Mpx; a 50 Mpx photo still loads
DEFAULT_MAX_NODE_PIXELS = 200_000_000    # 600 MB of decoded RGB in one node

SIXTEEN_BIT_MODES = frozenset({"I;16", "I;16L", "I;16B", "I;16N"})
ALPHA_MODES = frozenset({"RGBA", "LA", "PA", "La", "RGBa"})
PLAIN_MODES = frozenset({"1", "L", "P", "RGB", "RGBX", "CMYK", "YCbCr", "HSV"})


@dataclass(frozen=True)
class ImageFile:
    path: Path       # resolved, inside the workspace
    name: str        # as the user wrote it
    param: str       # e.g. "paths[2]"


def _limit(variable: str, default: int) -> int:
    text = os.environ.get(variable, "").strip().replace("_", "")
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise NodeError(f"{variable}={os.environ[variable]!r} is not a positive whole number of pixels",
                        hint=f"set {variable} to e.g. {default}, or unset it")
    return value


def pixel_limits() -> tuple[int, int]:
    """(per image, per node) decoded-pixel caps, from the environment or the defaults."""
    return _limit(IMAGE_PIXELS_ENV, DEFAULT_MAX_IMAGE_PIXELS), _limit(NODE_PIXELS_ENV, DEFAULT_MAX_NODE_PIXELS)


def _open(file: ImageFile, per_image: int) -> Any:
    """Open lazily (header only) and check the size against the cap before anything is decoded."""
    from PIL import Image, UnidentifiedImageError

    # Our cap replaces Pillow's decompression-bomb guard; keep Pillow's above ours so that a
    # raised REELGRAPH_MAX_IMAGE_PIXELS is honoured, and keep its warning off stderr.
    if Image.MAX_IMAGE_PIXELS is not None and Image.MAX_IMAGE_PIXELS < per_image:
        Image.MAX_IMAGE_PIXELS = per_image
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(file.path)
    except FileNotFoundError:
        raise NodeError(f"no image file at '{file.name}'", param=file.param,
                        hint="check the path; it is relative to the graph document") from None
    except Image.DecompressionBombError as error:
        raise NodeError(f"'{file.name}' declares more pixels than allowed ({error})", param=file.param,
                        code="image_too_large", hint=f"raise {IMAGE_PIXELS_ENV} if the image is genuine"
                        ) from None
    except UnidentifiedImageError:
        raise NodeError(f"'{file.name}' is not an image Pillow can read", param=file.param,
                        hint="use PNG, JPEG, WebP or TIFF") from None
    except (OSError, SyntaxError, ValueError) as error:  # a header Pillow recognised, then choked on
        raise NodeError(f"'{file.name}' is damaged: {error}", param=file.param,
                        hint="export or copy the image again") from None
    width, height = image.size
    if width * height > per_image:
        image.close()
        raise NodeError(f"'{file.name}' is {width:,} x {height:,} = {width * height:,} pixels, more than "
                        f"the {per_image:,} allowed per image", param=file.param, code="image_too_large",
                        hint=f"downscale it, or raise {IMAGE_PIXELS_ENV}")
    return image


def _scaled_16_bit(image: Any) -> Any:
    import numpy as np
    from PIL import Image

    samples = np.asarray(image, dtype=np.uint32)  # the numpy view of I;16* is uint16 in native order
    return Image.fromarray(((samples * 255 + 32767) // 65535).astype(np.uint8), mode="L")


def _scaled_float(image: Any, file: ImageFile) -> Any:
    import numpy as np
    from PIL import Image

    samples = np.asarray(image, dtype=np.float32)
    if not np.isfinite(samples).all():
        raise NodeError(f"'{file.name}' holds NaN or infinite samples", param=file.param,
                        hint="export it as an 8- or 16-bit PNG or TIFF")
    low, high = float(samples.min()), float(samples.max())
    if low < 0 or high > 1:
        raise NodeError(f"'{file.name}' holds float samples from {low:g} to {high:g}; reelgraph reads "
                        "float images in 0..1 only (HDR needs tone mapping first)", param=file.param,
                        hint="tone-map and export it as an 8- or 16-bit PNG or TIFF")
    return Image.fromarray(np.rint(samples * 255).astype(np.uint8), mode="L")


def _has_transparency(image: Any) -> bool:
    return image.mode in ALPHA_MODES or "transparency" in image.info


def _to_rgb(image: Any, file: ImageFile, background: tuple[int, int, int]) -> Any:
    from PIL import Image, ImageOps

    image = ImageOps.exif_transpose(image)  # a phone's portrait photo is stored sideways
    mode = image.mode
    if mode in SIXTEEN_BIT_MODES:
        return _scaled_16_bit(image).convert("RGB")
    if mode == "F":
        return _scaled_float(image, file).convert("RGB")
    if mode == "I":
        if image.format != "PNG":  # Pillow reads 16-bit PNG grey (with transparency) as I
            raise NodeError(f"'{file.name}' holds 32-bit integer samples, whose range reelgraph cannot "
                            "know", param=file.param, hint="export it as an 8- or 16-bit PNG or TIFF")
        image = _scaled_16_bit(image.convert("I;16"))
    elif mode not in PLAIN_MODES and mode not in ALPHA_MODES:
        raise NodeError(f"'{file.name}' is in Pillow mode {mode}, which reelgraph does not convert to RGB",
                        param=file.param, hint="export it as an 8-bit RGB PNG or JPEG")
    if _has_transparency(image):
        flat = Image.new("RGBA", image.size, (*background, 255))
        flat.alpha_composite(image.convert("RGBA"))
        return flat.convert("RGB")
    return image.convert("RGB")


def _decode(image: Any, file: ImageFile, background: tuple[int, int, int]) -> Any:
    try:
        with image:
            image.load()
            return _to_rgb(image, file, background)
    except NodeError:
        raise
    except MemoryError:
        raise NodeError(f"not enough memory to decode '{file.name}'", param=file.param, code="image_too_large",
                        hint=f"downscale it, or lower {IMAGE_PIXELS_ENV} so that images this large are "
                             "refused before decoding") from None
    except Exception as error:  # truncated data, bad CRCs, zlib errors: each decoder has its own
        raise NodeError(f"'{file.name}' is damaged or truncated: {error}", param=file.param,
                        hint="export or copy the image again") from None


def read_rgb_images(files: list[ImageFile], background: tuple[int, int, int] = (255, 255, 255)) -> list[Any]:
    """Every file as an 8-bit RGB image, in order; sizes are checked for all files first."""
    per_image, per_node = pixel_limits()
    opened, total = [], 0
    try:
        for file in files:
            image = _open(file, per_image)
            opened.append(image)
            total += image.size[0] * image.size[1]
            if total > per_node:
                raise NodeError(f"the {len(opened)} image(s) up to '{file.name}' hold {total:,} pixels, more "
                                f"than the {per_node:,} allowed per node", param=file.param,
                                code="image_too_large",
                                hint=f"split the images over several nodes, or raise {NODE_PIXELS_ENV}")
    except NodeError:
        for image in opened:
            image.close()
        raise
    try:
        return [_decode(image, file, background) for image, file in zip(opened, files, strict=True)]
    finally:
        for image in opened:  # those after a failure were never decoded
            image.close()
