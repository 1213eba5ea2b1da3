"""Build tiny random-weight diffusion pipelines offline, for tests, demos and CI.

    .venv/bin/python examples/build_tiny_models.py            # into examples/models/
    .venv/bin/python examples/build_tiny_models.py --out DIR

Each model is a real diffusers folder (model_index.json, safetensors weights, configs, a CLIP
tokenizer) saved with `save_pretrained`, so nodes load it through the same `from_pretrained` path as
a hub model. The weights are random (seeded, so every build is identical): the pictures are noise,
but shapes, dtypes, schedulers, seeds and the whole loading path are real. The configs follow
diffusers' own pipeline tests (`get_dummy_components`). Building all of them takes about a second;
a model whose folder is already complete is skipped.
"""
from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

DEFAULT_OUT = Path(__file__).resolve().parent / "models"

# A few merges so the tokenizer's BPE path is exercised; every other word falls back to characters.
TOKENIZER_MERGES = ["t h", "th e</w>", "i n", "a t", "l i", "g h", "o u", "s e</w>", "d u", "s k</w>"]


def _byte_alphabet() -> list[str]:
    """GPT-2/CLIP byte-level alphabet: one printable character per byte value."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    codes, extra = list(printable), 0
    for byte in range(256):
        if byte not in printable:
            codes.append(256 + extra)
            extra += 1
    return [chr(code) for code in codes]


def write_tiny_clip_tokenizer_files(folder: Path) -> None:
    """vocab.json + merges.txt of a byte-level CLIP BPE: 256 characters, their end-of-word forms,
    the merges above and the two special tokens (<|endoftext|> last, as in OpenAI's CLIP)."""
    vocab: dict[str, int] = {"<|startoftext|>": 0}
    alphabet = _byte_alphabet()
    for token in [*alphabet, *(char + "</w>" for char in alphabet)]:
        vocab.setdefault(token, len(vocab))
    for merge in TOKENIZER_MERGES:
        vocab.setdefault(merge.replace(" ", ""), len(vocab))
    vocab["<|endoftext|>"] = len(vocab)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False))
    (folder / "merges.txt").write_text("#version: 0.2\n" + "\n".join(TOKENIZER_MERGES) + "\n")


def tiny_clip_tokenizer(scratch: Path):
    from transformers import CLIPTokenizer

    write_tiny_clip_tokenizer_files(scratch)
    # Without model_max_length the tokenizer has no length limit and SD's 77-token padding overflows.
    return CLIPTokenizer.from_pretrained(scratch, model_max_length=77)


def tiny_clip_text_config(tokenizer, **overrides):
    from transformers import CLIPTextConfig

    settings = dict(bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                    pad_token_id=tokenizer.pad_token_id, vocab_size=len(tokenizer), hidden_size=32,
                    intermediate_size=37, layer_norm_eps=1e-05, num_attention_heads=4, num_hidden_layers=5)
    return CLIPTextConfig(**{**settings, **overrides})


def tiny_vae():
    from diffusers import AutoencoderKL

    return AutoencoderKL(block_out_channels=[32, 64], in_channels=3, out_channels=3,
                         down_block_types=["DownEncoderBlock2D"] * 2, up_block_types=["UpDecoderBlock2D"] * 2,
                         latent_channels=4)


def sd_scheduler():
    from diffusers import DDIMScheduler

    return DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False,
                         set_alpha_to_one=False, steps_offset=1)


def make_tiny_sd(scratch: Path):
    """Stable Diffusion 1.x layout: UNet (32, 64), KL VAE, one CLIP text encoder, DDIM."""
    import torch
    from diffusers import StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextModel

    torch.manual_seed(0)
    unet = UNet2DConditionModel(block_out_channels=(32, 64), layers_per_block=2, sample_size=32,
                                in_channels=4, out_channels=4, cross_attention_dim=32,
                                down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
                                up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"))
    vae = tiny_vae()
    tokenizer = tiny_clip_tokenizer(scratch / "tokenizer-files")
    text_encoder = CLIPTextModel(tiny_clip_text_config(tokenizer))
    return StableDiffusionPipeline(unet=unet, vae=vae, text_encoder=text_encoder, tokenizer=tokenizer,
                                   scheduler=sd_scheduler(), safety_checker=None, feature_extractor=None,
                                   requires_safety_checker=False)


def make_tiny_sd_inpaint(scratch: Path):
    """Stable Diffusion in-painting layout: the UNet takes 9 channels (noisy latents, the mask, the
    masked picture's latents), as runwayml/stable-diffusion-inpainting does."""
    import torch
    from diffusers import StableDiffusionInpaintPipeline, UNet2DConditionModel
    from transformers import CLIPTextModel

    torch.manual_seed(0)
    unet = UNet2DConditionModel(block_out_channels=(32, 64), layers_per_block=2, sample_size=32,
                                in_channels=9, out_channels=4, cross_attention_dim=32,
                                down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
                                up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"))
    tokenizer = tiny_clip_tokenizer(scratch / "tokenizer-files")
    return StableDiffusionInpaintPipeline(unet=unet, vae=tiny_vae(), text_encoder=CLIPTextModel(
        tiny_clip_text_config(tokenizer)), tokenizer=tokenizer, scheduler=sd_scheduler(), safety_checker=None,
        feature_extractor=None, requires_safety_checker=False)


def make_tiny_sdxl(scratch: Path):
    """SDXL layout: two CLIP text encoders (the second with a projection: pooled embeddings) and a
    UNet conditioned on text and time ids."""
    import torch
    from diffusers import EulerDiscreteScheduler, StableDiffusionXLPipeline, UNet2DConditionModel
    from transformers import CLIPTextModel, CLIPTextModelWithProjection

    torch.manual_seed(0)
    unet = UNet2DConditionModel(block_out_channels=(32, 64), layers_per_block=2, sample_size=32,
                                in_channels=4, out_channels=4, cross_attention_dim=64,
                                down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
                                up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
                                attention_head_dim=(2, 4), use_linear_projection=True,
                                addition_embed_type="text_time", addition_time_embed_dim=8,
                                transformer_layers_per_block=(1, 2), projection_class_embeddings_input_dim=80)
    vae = tiny_vae()
    tokenizer = tiny_clip_tokenizer(scratch / "tokenizer-files")
    text_config = tiny_clip_text_config(tokenizer, hidden_act="gelu", projection_dim=32)
    text_encoder = CLIPTextModel(text_config)
    text_encoder_2 = CLIPTextModelWithProjection(text_config)
    scheduler = EulerDiscreteScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                                       steps_offset=1, timestep_spacing="leading")
    return StableDiffusionXLPipeline(unet=unet, vae=vae, text_encoder=text_encoder, tokenizer=tokenizer,
                                     text_encoder_2=text_encoder_2, tokenizer_2=tokenizer, scheduler=scheduler)


def make_tiny_svd(scratch: Path):
    """Stable Video Diffusion layout (image to video): spatio-temporal UNet, temporal-decoder VAE,
    CLIP image encoder. SVD needs no tokenizer."""
    import torch
    from diffusers import (AutoencoderKLTemporalDecoder, EulerDiscreteScheduler, StableVideoDiffusionPipeline,
                           UNetSpatioTemporalConditionModel)
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModelWithProjection

    torch.manual_seed(0)
    unet = UNetSpatioTemporalConditionModel(
        block_out_channels=(32, 64), layers_per_block=2, sample_size=32, in_channels=8, out_channels=4,
        down_block_types=("CrossAttnDownBlockSpatioTemporal", "DownBlockSpatioTemporal"),
        up_block_types=("UpBlockSpatioTemporal", "CrossAttnUpBlockSpatioTemporal"),
        cross_attention_dim=32, num_attention_heads=8, projection_class_embeddings_input_dim=96,
        addition_time_embed_dim=32)
    vae = AutoencoderKLTemporalDecoder(block_out_channels=[32, 64], in_channels=3, out_channels=3,
                                       down_block_types=["DownEncoderBlock2D"] * 2, latent_channels=4)
    # SVD resizes the conditioning image to 224 px before the image encoder, whatever its config says.
    image_encoder = CLIPVisionModelWithProjection(CLIPVisionConfig(
        hidden_size=32, projection_dim=32, num_hidden_layers=5, num_attention_heads=4, image_size=224,
        intermediate_size=37, patch_size=14))
    scheduler = EulerDiscreteScheduler(
        beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", interpolation_type="linear",
        num_train_timesteps=1000, prediction_type="v_prediction", sigma_max=700.0, sigma_min=0.002,
        steps_offset=1, timestep_spacing="leading", timestep_type="continuous", use_karras_sigmas=True)
    return StableVideoDiffusionPipeline(vae=vae, image_encoder=image_encoder, unet=unet, scheduler=scheduler,
                                        feature_extractor=CLIPImageProcessor(crop_size=224, size=224))


TINY_MODELS: dict[str, Callable[[Path], object]] = {
    "tiny-sd": make_tiny_sd,
    "tiny-sd-inpaint": make_tiny_sd_inpaint,
    "tiny-sdxl": make_tiny_sdxl,
    "tiny-svd": make_tiny_svd,
}


def build_tiny_model(name: str, out_dir: Path = DEFAULT_OUT) -> Path:
    """Build one tiny model into out_dir/name unless it is already there; returns its folder.

    The pipeline is saved into a temporary folder and renamed into place, so an interrupted build
    never leaves a half-written folder that a later run would take as complete."""
    target = Path(out_dir) / name
    if (target / "model_index.json").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=f".{name}-") as scratch:
        pipeline = TINY_MODELS[name](Path(scratch))
        staged = Path(scratch) / "model"
        pipeline.save_pretrained(staged)
        if target.exists():  # an incomplete earlier build
            shutil.rmtree(target)
        staged.rename(target)
    return target


def build_tiny_models(out_dir: Path = DEFAULT_OUT, names: list[str] | None = None) -> dict[str, Path]:
    return {name: build_tiny_model(name, out_dir) for name in (names or list(TINY_MODELS))}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="Folder to build into (default: %(default)s)")
    parser.add_argument("names", nargs="*", help=f"Models to build: {', '.join(TINY_MODELS)} (default: all)")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(TINY_MODELS))
    if unknown:
        parser.error(f"unknown model {unknown[0]!r}; choose from {', '.join(TINY_MODELS)}")
    for name, folder in build_tiny_models(args.out, args.names or None).items():
        print(f"{name}: {folder}")


if __name__ == "__main__":
    main()
