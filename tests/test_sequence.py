"""sequence.assemble: shots joined with transitions and trims, narrations placed at their shots."""
from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from reelgraph.nodes import NodeError
from reelgraph.nodes.sequence.timeline import (CROSSFADE, CUT, DIP, Transition, assemble_frames,
                                               sequence_length, shot_starts)
from reelgraph.nodes.values import Frames, MediaFile

ASSETS = Path(__file__).resolve().parent.parent / "examples" / "assets"
FPS = 12


def photo_shot(name: str, frames: int, size=(64, 48)) -> Frames:
    still = np.asarray(Image.open(ASSETS / name).convert("RGB").resize(size))
    # A slow horizontal drift, so consecutive frames differ as in a real shot.
    return Frames.from_arrays([np.roll(still, index, axis=1) for index in range(frames)], FPS)


def speech(tmp_path: Path, name: str, text: str) -> MediaFile:
    path = tmp_path / f"{name}.wav"
    subprocess.run(["espeak-ng", "-w", str(path), text], check=True)
    return MediaFile(path, "audio/wav", {"language": "en"})


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path)) as wav:
        samples = np.frombuffer(wav.readframes(wav.getnframes()), "<i2").reshape(-1, wav.getnchannels())
        return samples.astype(np.float32) / 32768, wav.getframerate()


def onsets(samples: np.ndarray, rate: int, threshold: float = 0.02) -> list[float]:
    """Start times of sound after at least 0.3 s of silence, from 5 ms windows."""
    window = rate // 200
    energy = np.abs(samples).max(axis=1)[: len(samples) // window * window].reshape(-1, window).max(axis=1)
    loud = energy > threshold
    found, quiet = [], 60
    for index, is_loud in enumerate(loud):
        if is_loud and quiet >= 60:
            found.append(index * window / rate)
        quiet = 0 if is_loud else quiet + 1
    return found


def test_a_crossfade_overlaps_the_shots_and_a_dip_keeps_the_length():
    transitions = [Transition(CROSSFADE, 3), Transition(DIP, 4), Transition(CUT, 0)]
    lengths = [10, 10, 10, 10]
    assert sequence_length(lengths, transitions) == 37
    assert shot_starts(lengths, transitions) == [0, 7, 17, 27]


def test_crossfade_blends_and_dip_passes_through_black():
    grey = [lambda value=value: (np.full((2, 2, 3), value, np.uint8) for _ in range(6)) for value in (0, 240, 120)]
    frames = [int(f[0, 0, 0]) for f in assemble_frames(grey, [Transition(CROSSFADE, 3), Transition(DIP, 4)])]
    assert len(frames) == 15
    assert frames[:3] == [0, 0, 0] and frames[3:6] == [60, 120, 180]        # the blend rises
    assert frames[6] == 240 and frames[7] < 240 and frames[8] == 0         # fade out to black
    assert 0 < frames[9] < frames[10] < 120 and frames[11:] == [120] * 4   # fade in


def test_assemble_places_each_narration_at_its_shot(harness, tmp_path):
    shots = [photo_shot("coffee.png", 24), photo_shot("chelsea.png", 30), photo_shot("rocket.png", 18)]
    narrations = [speech(tmp_path, "a", "First shot."), speech(tmp_path, "b", "Second shot."),
                  speech(tmp_path, "c", "Third.")]
    out = harness.run("sequence.assemble", {"transitions": [{"kind": "crossfade", "seconds": 0.5},
                                                            {"kind": "dip", "seconds": 0.5}]},
                      shots=shots, narrations=narrations)
    expected_frames = 24 + 30 + 18 - 6
    assert out["frames"].count == expected_frames == sum(1 for _ in out["frames"])
    timing = out["timing"]
    assert [round(s["start"], 6) for s in timing["shots"]] == [0.0, 1.5, 4.0]
    samples, rate = read_wav(out["audio"].path)
    assert abs(len(samples) / rate - expected_frames / FPS) < 1 / FPS
    found = onsets(samples, rate)
    for shot in timing["shots"]:
        assert min(abs(start - shot["start"]) for start in found) < 0.05, (found, shot)
    assert out["audio"].meta["language"] == "en"


def test_one_voiceover_is_cut_into_its_shots_by_scene_timing(harness, tmp_path):
    script = {"language": "en", "script": {"language": "en", "scenes": [
        {"id": "one", "narration": ["The first picture."], "duration": 2},
        {"id": "two", "narration": ["Then a cat."], "duration": 2},
        {"id": "three", "narration": ["And a rocket."], "duration": 2}]}, "strings": []}
    voice = harness.run("l10n.voiceover", {}, script=script)
    shots = [photo_shot("coffee.png", 36), photo_shot("chelsea.png", 36), photo_shot("rocket.png", 36)]
    out = harness.run("sequence.assemble", {"transition": {"kind": "crossfade", "seconds": 1.0}}, shots=shots,
                      narration=voice["audio"], narration_timing=voice["timing"])
    samples, rate = read_wav(out["audio"].path)
    found = onsets(samples, rate)
    assert len(found) == 3
    for start, shot in zip(found, out["timing"]["shots"]):
        assert abs(start - shot["start"]) < 0.05, (found, out["timing"])


def test_trims_cut_each_shot(harness):
    shots = [photo_shot("coffee.png", 24), photo_shot("chelsea.png", 24)]
    out = harness.run("sequence.assemble", {"trims": [{"start": 0.5}, {"end": 1.0}]}, shots=shots)
    assert out["frames"].count == 18 + 12
    first = next(iter(out["frames"]))
    assert np.array_equal(first, np.asarray(list(shots[0])[6]))


def test_videos_are_assembled_like_frames(harness):
    encoded = [harness.run("video.encode", {"crf": 0, "preset": "ultrafast"}, frames=photo_shot(name, 12))["video"]
               for name in ("coffee.png", "chelsea.png")]
    out = harness.run("sequence.assemble", {"transition": {"kind": "crossfade", "seconds": 0.25}}, videos=encoded)
    assert out["frames"].count == 24 - 3 == sum(1 for _ in out["frames"])


@pytest.mark.parametrize("params, inputs, param", [
    ({"transition": {"kind": "crossfade", "seconds": 2.0}}, "short", "transitions"),
    ({"trims": [{"start": 5.0}]}, "short", "trims"),
    ({}, "sizes", None),
])
def test_bad_shots_are_refused_with_what_to_do(harness, params, inputs, param):
    shots = ([photo_shot("coffee.png", 12), photo_shot("chelsea.png", 12)] if inputs == "short"
             else [photo_shot("coffee.png", 12), photo_shot("chelsea.png", 12, size=(32, 24))])
    with pytest.raises(NodeError) as error:
        harness.run("sequence.assemble", params, shots=shots)
    assert error.value.param == param
    assert error.value.hint


def test_frames_last_is_the_shot_s_final_frame(harness):
    shot = photo_shot("coffee.png", 10)
    last = harness.run("frames.last", {}, frames=shot)["image"]
    assert np.array_equal(np.asarray(last), list(shot)[-1])
    before = harness.run("frames.last", {"from_end": 2}, frames=shot)["image"]
    assert np.array_equal(np.asarray(before), list(shot)[-3])
    with pytest.raises(NodeError) as error:
        harness.run("frames.last", {"from_end": 10}, frames=shot)
    assert error.value.param == "from_end"
