"""The localization chain on the example campaign: translate -> voice-over -> subtitles -> captions."""
from __future__ import annotations

import shutil
import wave
from pathlib import Path

import numpy as np
import pytest

from reelgraph.nodes.values import Frames

CAMPAIGN = Path(__file__).resolve().parents[1] / "examples" / "campaign"


@pytest.fixture
def campaign(harness) -> Path:
    target = harness.workspace.root / "campaign"
    shutil.copytree(CAMPAIGN, target)
    return target


def translate(harness, locale: str, **params) -> dict:
    params = {"script": "campaign/script.yaml", "target": locale,
              "catalogs": ["campaign/ar.po", "campaign/es.xlf"], **params}
    return harness.run("l10n.translate", params)["script"]


def test_the_arabic_catalog_approves_every_string_of_the_example_script(harness, campaign):
    document = translate(harness, "ar", require_approved=True)
    assert {s["origin"] for s in document["strings"]} == {"catalog:campaign/ar.po"}


def test_the_spanish_catalog_covers_some_strings_and_apertium_the_rest(harness, campaign):
    origins = {s["source"]: s["origin"] for s in translate(harness, "es")["strings"]}
    assert origins["Visit our shop today."] == "catalog:campaign/es.xlf"
    assert origins["Roasted fresh every day"] == "mt:apertium"  # its catalog unit is only a draft


def test_arabic_subtitles_fall_within_the_spoken_audio_and_burn_in(harness, campaign):
    document = translate(harness, "ar")
    voice = harness.run("l10n.voiceover", {}, script=document)
    with wave.open(str(voice["audio"].path), "rb") as wav:
        audio_seconds = wav.getnframes() / wav.getframerate()
    subtitles = harness.run("l10n.subtitles", {}, script=document, timing=voice["timing"])["subtitles"]
    assert subtitles.language == "ar" and len(subtitles.cues) >= 4
    assert all(0 <= c.start < c.end <= audio_seconds for c in subtitles.cues)
    assert subtitles.cues[0].text == document["script"]["scenes"][0]["narration"][0]

    fps = 2
    frames = Frames.from_arrays([np.full((96, 160, 3), 40, np.uint8)] * int(audio_seconds * fps), fps)
    out = harness.run("l10n.captions", {}, frames=frames, subtitles=subtitles, script=document,
                      timing=voice["timing"])
    captioned = list(out["frames"])
    assert len(captioned) == frames.count
    first_cue = subtitles.cues[0]
    inside = captioned[int(first_cue.start * fps) + 1]
    assert (inside[48:] != 40).any() and (inside[:48] != 40).any()  # subtitles below, on-screen text above
