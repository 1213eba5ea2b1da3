"""Learned upscalers: a weights file, loaded without running pickled code, whose architecture
spandrel recognises (ESRGAN, Real-ESRGAN compact, SwinIR, HAT, SPAN...).

Weights are read as plain tensors only: .safetensors directly, .pth/.pt/.ckpt through
torch.load(weights_only=True), which refuses any pickled object that is not a tensor or a
container of tensors. A loaded model stays in the process model cache, keyed by the file's
identity and the device, so a sequence of frames (or of runs) loads it once.
"""
from __future__ import annotations

import pickle
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reelgraph.nodes.context import NodeContext
from reelgraph.nodes.errors import NodeError
from reelgraph.nodes.upscale.tiling import RegionUpscaler

if TYPE_CHECKING:  # annotations only; numpy is imported where a node runs, not when it is listed
    import numpy as np

SAFETENSORS_SUFFIXES = {".safetensors"}
PICKLE_SUFFIXES = {".pth", ".pt", ".ckpt", ".bin"}


def read_state_dict(path: Path, *, param: str) -> dict[str, Any]:
    """The tensors of a weights file, refusing any file that would need arbitrary unpickling."""
    import torch
    from safetensors.torch import load_file

    suffix = path.suffix.lower()
    if not path.is_file():
        raise NodeError(f"no weights file at '{path.name}'", param=param,
                        hint="check the path; it is relative to the graph document")
    if suffix in SAFETENSORS_SUFFIXES:
        try:
            return load_file(str(path), device="cpu")
        except Exception as error:  # safetensors raises its own SafetensorError for a damaged file
            raise damaged_weights(path, error, param) from None
    if suffix in PICKLE_SUFFIXES:
        try:
            return torch.load(path, map_location="cpu", weights_only=True)
        except pickle.UnpicklingError as error:
            raise NodeError(f"'{path.name}' holds pickled objects other than tensors; loading it "
                            f"could run arbitrary code, so it is refused ({str(error).splitlines()[0]})",
                            param=param, code="unsafe_weights",
                            hint="convert the weights to .safetensors from a trusted environment") from None
        except (RuntimeError, EOFError, OSError) as error:  # a truncated or foreign file
            raise damaged_weights(path, error, param) from None
    raise NodeError(f"'{path.name}' is not a weights file this node reads", param=param,
                    hint="use .safetensors (or a .pth holding only tensors)")


def damaged_weights(path: Path, error: BaseException, param: str) -> NodeError:
    reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return NodeError(f"cannot read the weights in '{path.name}': {reason}", param=param, code="model_load_failed",
                     hint="the file is damaged or incomplete: download or convert it again")


def load_upscaler(path: Path, device: str, *, param: str):
    """A spandrel ImageModelDescriptor for the weights at `path`, on `device`, in eval mode."""
    import torch
    from spandrel import MAIN_REGISTRY, ImageModelDescriptor, UnsupportedModelError, canonicalize_state_dict

    state_dict = canonicalize_state_dict(read_state_dict(path, param=param))
    try:
        model = MAIN_REGISTRY.load(state_dict)
    except UnsupportedModelError:
        raise NodeError(f"spandrel does not recognise the architecture of '{path.name}'", param=param,
                        hint="use an ESRGAN, Real-ESRGAN, SwinIR, HAT, SPAN... upscaler") from None
    if not isinstance(model, ImageModelDescriptor) or model.input_channels != 3 or model.output_channels != 3:
        raise NodeError(f"'{path.name}' is a {model.architecture.name} model, not an RGB image-to-image one",
                        param=param, hint="use a super-resolution model")
    model.to(device).eval()
    if torch.device(device).type == "cuda" and model.supports_half:
        model.half()
    return model


def cached_upscaler(ctx: NodeContext, path: Path, *, param: str):
    """The upscaler for `path` from the process model cache, loading it on first use."""
    stat = path.stat()  # an edited file has a new identity, so it is loaded again
    key = ("spandrel", str(path), stat.st_mtime_ns, stat.st_size, ctx.device)
    return ctx.models.get(key, lambda: load_upscaler(path, ctx.device, param=param))


def region_upscaler(model) -> RegionUpscaler:
    """A function running `model` on one uint8 RGB region, returning uint8 RGB."""
    import numpy as np
    import torch

    def upscale_region(region: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            tensor = torch.from_numpy(np.ascontiguousarray(region)).to(model.device)
            tensor = tensor.permute(2, 0, 1).unsqueeze(0).to(model.dtype).div_(255)
            output = model(tensor)[0].permute(1, 2, 0).float().mul_(255).round_()
            return output.to(torch.uint8).cpu().numpy()

    return upscale_region
