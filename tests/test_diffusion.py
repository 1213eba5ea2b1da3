"""Diffusion nodes on tiny random-weight models built offline (examples/build_tiny_models.py) and
loaded back by path through the nodes: the real diffusers loading path, at 64 px and 2 steps.
The `diffusion` harness and the models' folder are conftest's, shared with test_directing."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from reelgraph.nodes import NodeError
from tests.node_harness import tiny_model_builder

REPO = Path(__file__).resolve().parents[1]
TINY = {"model": "models/tiny-sd", "steps": 2, "width": 64, "height": 64}
pytestmark = pytest.mark.usefixtures("one_torch_thread")


def pixels(image) -> np.ndarray:
    return np.asarray(image, dtype=np.int16)


# --- building the tiny models ---------------------------------------------------------------

def test_building_tiny_models_again_keeps_the_existing_folders(tiny_models_root):
    index = tiny_models_root / "models" / "tiny-sd" / "model_index.json"
    before = index.stat().st_mtime_ns
    tiny_model_builder().build_tiny_models(tiny_models_root / "models")
    assert index.stat().st_mtime_ns == before


def test_tiny_models_are_diffusers_folders_with_a_77_token_tokenizer(tiny_models_root):
    index = json.loads((tiny_models_root / "models" / "tiny-sd" / "model_index.json").read_text())
    assert index["_class_name"] == "StableDiffusionPipeline"
    config = json.loads((tiny_models_root / "models" / "tiny-sd" / "tokenizer" / "tokenizer_config.json").read_text())
    assert config["model_max_length"] == 77


# --- text.encode ----------------------------------------------------------------------------

def test_text_encode_gives_prompt_and_negative_embeddings_of_the_text_encoder_shape(diffusion):
    out = diffusion.run("text.encode", {"model": "models/tiny-sd", "prompt": "a lighthouse at dusk",
                                        "negative_prompt": "blurry"})
    embeddings = out["embeddings"]
    assert sorted(embeddings) == ["negative_prompt_embeds", "prompt_embeds"]
    assert tuple(embeddings["prompt_embeds"].shape) == (1, 77, 32)  # batch, tokens, hidden size
    assert tuple(embeddings["negative_prompt_embeds"].shape) == (1, 77, 32)


def test_text_encode_of_different_prompts_gives_different_embeddings(diffusion):
    first = diffusion.run("text.encode", {"model": "models/tiny-sd", "prompt": "a lighthouse"})["embeddings"]
    second = diffusion.run("text.encode", {"model": "models/tiny-sd", "prompt": "a forest"})["embeddings"]
    assert not np.allclose(first["prompt_embeds"].numpy(), second["prompt_embeds"].numpy())
    assert np.allclose(first["negative_prompt_embeds"].numpy(), second["negative_prompt_embeds"].numpy())


def test_text_encode_of_an_sdxl_model_adds_pooled_embeddings(diffusion):
    embeddings = diffusion.run("text.encode", {"model": "models/tiny-sdxl", "prompt": "a lighthouse"})["embeddings"]
    assert tuple(embeddings["prompt_embeds"].shape) == (1, 77, 64)  # both encoders' hidden states, joined
    assert tuple(embeddings["pooled_prompt_embeds"].shape) == (1, 32)  # the second encoder's projection
    assert tuple(embeddings["negative_pooled_prompt_embeds"].shape) == (1, 32)


def test_text_encode_takes_the_prompt_from_its_input_over_the_param(diffusion):
    from_input = diffusion.run("text.encode", {"model": "models/tiny-sd", "prompt": "ignored"},
                               prompt="a forest")["embeddings"]
    from_param = diffusion.run("text.encode", {"model": "models/tiny-sd", "prompt": "a forest"})["embeddings"]
    assert np.array_equal(from_input["prompt_embeds"].numpy(), from_param["prompt_embeds"].numpy())


def test_text_encode_loads_only_the_text_encoders(diffusion):
    diffusion.run("text.encode", {"model": "models/tiny-sd", "prompt": "a lighthouse"})
    [(key, (pipeline, _))] = diffusion.models._models.items()
    assert key.role == "text_encoders"
    assert pipeline.unet is None and pipeline.vae is None and pipeline.text_encoder is not None


# --- keyframe.generate ----------------------------------------------------------------------

def test_keyframe_from_embeddings_has_the_requested_size(diffusion):
    embeddings = diffusion.run("text.encode", {"model": "models/tiny-sd", "prompt": "a lighthouse"})["embeddings"]
    out = diffusion.run("keyframe.generate", {**TINY, "width": 64, "height": 80}, embeddings=embeddings)
    assert out["image"].size == (64, 80)
    assert out["image"].mode == "RGB"


def test_keyframe_from_a_prompt_draws_count_images_of_the_requested_size(diffusion):
    out = diffusion.run("keyframe.generate", {**TINY, "prompt": "a lighthouse", "count": 2, "seed": 7})
    assert [image.size for image in out["images"]] == [(64, 64), (64, 64)]
    assert out["generation"]["seeds"] == [7, 8]


def test_keyframe_with_the_same_seed_draws_identical_pixels(diffusion):
    first = diffusion.run("keyframe.generate", {**TINY, "prompt": "a lighthouse", "seed": 3})
    second = diffusion.run("keyframe.generate", {**TINY, "prompt": "a lighthouse", "seed": 3})
    assert np.array_equal(pixels(first["image"]), pixels(second["image"]))
    assert first["image.sha256"] == second["image.sha256"]


def test_keyframe_with_another_seed_draws_other_pixels(diffusion):
    first = diffusion.run("keyframe.generate", {**TINY, "prompt": "a lighthouse", "seed": 3})
    second = diffusion.run("keyframe.generate", {**TINY, "prompt": "a lighthouse", "seed": 4})
    assert np.abs(pixels(first["image"]) - pixels(second["image"])).mean() > 1


def test_each_keyframe_uses_the_seed_plus_its_index(diffusion):
    batch = diffusion.run("keyframe.generate", {**TINY, "prompt": "a lighthouse", "seed": 7, "count": 2})
    alone = diffusion.run("keyframe.generate", {**TINY, "prompt": "a lighthouse", "seed": 8})
    # Batched and single runs may round differently in the last bit, not more.
    assert np.abs(pixels(batch["images"][1]) - pixels(alone["image"])).max() <= 1


def test_keyframe_model_loads_once_across_runs(diffusion):
    diffusion.run("keyframe.generate", {**TINY, "prompt": "a lighthouse", "seed": 1})
    diffusion.run("keyframe.generate", {**TINY, "prompt": "a forest", "seed": 2})
    assert diffusion.models.loads == 1


def test_keyframe_runs_in_parallel_threads_draw_what_they_draw_alone(diffusion):
    from concurrent.futures import ThreadPoolExecutor

    def draw(seed: int, scheduler: str):
        params = {**TINY, "prompt": "a lighthouse", "seed": seed, "scheduler": scheduler}
        return pixels(diffusion.run("keyframe.generate", params)["image"])

    jobs = [(1, "default"), (2, "euler_a"), (3, "dpm++")]
    with ThreadPoolExecutor(max_workers=3) as pool:
        together = list(pool.map(lambda job: draw(*job), jobs))
    alone = [draw(*job) for job in jobs]
    assert all(np.array_equal(a, b) for a, b in zip(together, alone))


def test_text_encode_reuses_a_resident_keyframe_model(diffusion):
    diffusion.run("keyframe.generate", {**TINY, "prompt": "a lighthouse"})
    diffusion.run("text.encode", {"model": "models/tiny-sd", "prompt": "a forest"})
    assert diffusion.models.loads == 1


def test_keyframe_model_shares_the_resident_text_encoders(diffusion):
    diffusion.run("text.encode", {"model": "models/tiny-sd", "prompt": "a lighthouse"})
    diffusion.run("keyframe.generate", {**TINY, "prompt": "a lighthouse"})
    pipelines = [pipeline for pipeline, _ in diffusion.models._models.values()]
    assert len(pipelines) == 2
    assert pipelines[0].text_encoder is pipelines[1].text_encoder


def test_keyframe_from_sdxl_embeddings_passes_the_pooled_ones_on(diffusion):
    embeddings = diffusion.run("text.encode", {"model": "models/tiny-sdxl", "prompt": "a lighthouse"})["embeddings"]
    out = diffusion.run("keyframe.generate", {**TINY, "model": "models/tiny-sdxl"}, embeddings=embeddings)
    assert out["image"].size == (64, 64)


def test_keyframe_reports_progress_per_denoising_step(diffusion):
    diffusion.run("keyframe.generate", {**TINY, "prompt": "a lighthouse", "steps": 3})
    steps = [(event.done, event.total) for event in diffusion.events]
    assert steps == [(1, 3), (2, 3), (3, 3)]


def test_keyframe_scheduler_param_picks_the_diffusers_scheduler(diffusion):
    out = diffusion.run("keyframe.generate", {**TINY, "prompt": "a lighthouse", "scheduler": "euler_a"})
    assert out["generation"]["scheduler"] == "EulerAncestralDiscreteScheduler"


def test_keyframe_scheduler_choice_leaves_the_resident_model_alone(diffusion):
    diffusion.run("keyframe.generate", {**TINY, "prompt": "a lighthouse", "scheduler": "euler_a"})
    out = diffusion.run("keyframe.generate", {**TINY, "prompt": "a lighthouse"})
    assert out["generation"]["scheduler"] == "DDIMScheduler"  # the tiny model's own


@pytest.mark.parametrize("scheduler", ["euler", "heun", "ddim", "pndm", "lms", "unipc", "dpm++", "dpm++_karras"])
def test_keyframe_draws_with_every_sd_compatible_scheduler(diffusion, scheduler):
    # pndm's warm-up needs a few steps
    out = diffusion.run("keyframe.generate", {**TINY, "prompt": "a lighthouse", "scheduler": scheduler, "steps": 4})
    assert pixels(out["image"]).std() > 0


def test_keyframe_refuses_a_scheduler_the_model_cannot_use(diffusion):
    with pytest.raises(NodeError) as caught:
        diffusion.run("keyframe.generate", {**TINY, "prompt": "a lighthouse", "scheduler": "lcm"})
    assert caught.value.param == "scheduler"


def test_keyframe_size_must_be_a_multiple_of_8():
    from reelgraph.nodes.diffusion.keyframe import KeyframeGenerate

    with pytest.raises(ValidationError, match="multiple of 8"):
        KeyframeGenerate.Params(model="models/tiny-sd", width=100)


def test_keyframe_with_embeddings_of_another_model_names_the_port(diffusion):
    embeddings = diffusion.run("text.encode", {"model": "models/tiny-sdxl", "prompt": "a lighthouse"})["embeddings"]
    with pytest.raises(NodeError) as caught:
        diffusion.run("keyframe.generate", TINY, embeddings=embeddings)
    assert caught.value.port == "embeddings"


def test_keyframe_without_prompt_or_embeddings_names_the_prompt(diffusion):
    with pytest.raises(NodeError) as caught:
        diffusion.run("keyframe.generate", TINY)
    assert caught.value.param == "prompt"


def test_a_missing_model_folder_names_the_model_param(diffusion):
    with pytest.raises(NodeError, match="no model folder") as caught:
        diffusion.run("keyframe.generate", {**TINY, "model": "./models/not-built", "prompt": "a lighthouse"})
    assert caught.value.param == "model"


def test_a_hub_model_missing_offline_says_so(diffusion):
    with pytest.raises(NodeError) as caught:
        diffusion.run("text.encode", {"model": "nobody/no-such-model", "prompt": "a lighthouse"})
    assert caught.value.param == "model"
    assert "HF_HUB_OFFLINE" in caught.value.hint


def test_a_missing_folder_that_could_be_a_hub_id_says_both(diffusion):
    with pytest.raises(NodeError) as caught:
        diffusion.run("keyframe.generate", {**TINY, "model": "models/not-built", "prompt": "a lighthouse"})
    assert caught.value.param == "model"
    assert "no folder 'models/not-built'" in caught.value.hint


def test_a_model_folder_outside_the_workspace_is_refused(diffusion, tmp_path):
    with pytest.raises(NodeError) as caught:
        diffusion.run("text.encode", {"model": str(tmp_path), "prompt": "a lighthouse"})
    assert caught.value.code == "path_outside_workspace"


def test_an_image_to_image_view_keeps_the_model_folders_own_settings(tmp_path, tiny_models_root):
    """A refiner-like folder (an SDXL image-to-image class with requires_aesthetics_score) loads as the
    text-to-image pipeline, which does not take that setting; its image-to-image view must still have it."""
    from reelgraph.nodes.diffusion.loading import ModelParams, load_pipeline
    from reelgraph.nodes.diffusion.sampling import run_view
    from tests.node_harness import ModelHarness

    folder = tmp_path / "models" / "tiny-sdxl-refiner"
    shutil.copytree(tiny_models_root / "models" / "tiny-sdxl", folder)
    index = json.loads((folder / "model_index.json").read_text())
    index.update({"_class_name": "StableDiffusionXLImg2ImgPipeline", "requires_aesthetics_score": True})
    (folder / "model_index.json").write_text(json.dumps(index))
    ctx = ModelHarness(tmp_path, tmp_path).context()
    resident = load_pipeline(ctx, ModelParams(model="models/tiny-sdxl-refiner"), "text_to_image")
    with run_view(resident, task="image_to_image") as pipeline:
        assert type(pipeline).__name__ == "StableDiffusionXLImg2ImgPipeline"
        assert pipeline.config.requires_aesthetics_score is True


def test_a_task_the_models_family_lacks_names_the_model_param(diffusion):
    from reelgraph.nodes.diffusion.loading import ModelParams, load_pipeline
    from reelgraph.nodes.diffusion.sampling import run_view

    resident = load_pipeline(diffusion.context(), ModelParams(model="models/tiny-svd"), "image_to_video")
    with pytest.raises(NodeError, match="no in-painting pipeline") as caught:
        with run_view(resident, task="inpainting"):
            pass
    assert caught.value.param == "model"


def test_model_ids_name_the_model_and_revision():
    from reelgraph.nodes.diffusion.keyframe import KeyframeGenerate

    params = KeyframeGenerate.Params(model="stabilityai/sd-turbo", revision="main")
    assert KeyframeGenerate.model_ids(params) == ["stabilityai/sd-turbo@main"]


# --- video.generate -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def photo():
    from PIL import Image
    from skimage.data import astronaut

    return Image.fromarray(astronaut()).resize((64, 64), Image.Resampling.LANCZOS)


def test_video_extend_chains_segments_on_their_own_frames(diffusion, photo):
    from PIL import Image

    params = {"model": "models/tiny-svd", "frames": 4, "steps": 2, "fps": 6, "seed": 3}
    out = diffusion.run("video.extend", {**params, "segments": 3, "overlap": 1}, image=photo)
    frames = list(out["frames"])
    assert out["frames"].count == len(frames) == 3 * 4 - 2
    first = list(diffusion.run("video.generate", params, image=photo)["frames"])
    assert all(np.array_equal(a, b) for a, b in zip(frames[:3], first[:3]))
    # Segment 2 animates segment 1's frame 4 - overlap with the next seed; after the crossfaded
    # frame, its frames are the clip's.
    second = list(diffusion.run("video.generate", {**params, "seed": 4}, image=Image.fromarray(first[3]))["frames"])
    assert all(np.array_equal(a, b) for a, b in zip(frames[4:6], second[1:3]))
    with pytest.raises(NodeError) as error:
        diffusion.run("video.extend", {**params, "overlap": 4}, image=photo)
    assert error.value.param == "overlap"


def test_video_generate_returns_the_requested_frame_count_at_fps(diffusion, photo):
    out = diffusion.run("video.generate", {"model": "models/tiny-svd", "frames": 3, "steps": 2, "fps": 6}, image=photo)
    frames = out["frames"]
    assert frames.count == 3 and frames.fps == 6
    assert [frame.shape for frame in frames] == [(64, 64, 3)] * 3


def test_video_generate_with_the_same_seed_draws_identical_frames(diffusion, photo):
    params = {"model": "models/tiny-svd", "frames": 2, "steps": 1, "seed": 5}
    first = diffusion.run("video.generate", params, image=photo)
    second = diffusion.run("video.generate", params, image=photo)
    assert first["frames.sha256"] == second["frames.sha256"]
    assert diffusion.models.loads == 1


def test_video_generate_refuses_a_text_to_image_model(diffusion, photo):
    with pytest.raises(NodeError, match="not an image-to-video model") as caught:
        diffusion.run("video.generate", {"model": "models/tiny-sd", "frames": 2, "steps": 1}, image=photo)
    assert caught.value.param == "model"


def test_keyframe_from_an_init_image_starts_from_it(diffusion):
    """Continuity between shots: the next shot's keyframe starts from the last frame of the previous
    one. (Random tiny weights cannot reconstruct a picture, so the test checks that the init image,
    and only it, changes the drawing.)"""
    from PIL import Image

    def photo(name):
        return Image.open(REPO / "examples" / "assets" / name).convert("RGB").resize((64, 64))

    params = {**TINY, "steps": 4, "prompt": "a cup", "strength": 0.5}
    cup = diffusion.run("keyframe.generate", params, init_image=photo("coffee.png"))
    again = diffusion.run("keyframe.generate", params, init_image=photo("coffee.png"))
    rocket = diffusion.run("keyframe.generate", params, init_image=photo("rocket.png"))
    assert np.array_equal(np.asarray(cup["image"]), np.asarray(again["image"]))
    assert not np.array_equal(np.asarray(cup["image"]), np.asarray(rocket["image"]))
    assert cup["generation"]["pipeline"].endswith("Img2ImgPipeline")
    assert cup["generation"]["strength"] == 0.5
    with pytest.raises(NodeError) as error:
        diffusion.run("keyframe.generate", {**TINY, "prompt": "a cup", "strength": 0.1}, init_image=photo("chelsea.png"))
    assert error.value.param == "strength"
