"""l10n.voiceover: real espeak-ng speech, one WAV, timing measured from the audio."""
from __future__ import annotations

import wave

import pytest

from reelgraph.nodes.errors import NodeError


def script(language: str, *scenes: dict) -> dict:
    """A translated script document, as l10n.translate emits it."""
    body = {"title": "", "language": language, "scenes": list(scenes)}
    return {"language": language, "source_language": "en", "script": body, "strings": []}


def wav_seconds(media) -> float:
    with wave.open(str(media.path), "rb") as wav:
        return wav.getnframes() / wav.getframerate()


def test_the_narration_is_one_wav_whose_duration_matches_the_timing(harness):
    out = harness.run("l10n.voiceover", {}, script=script(
        "es", {"id": "a", "narration": ["Hola a todos."]}, {"id": "b", "narration": ["Buenos días."]}))
    seconds = wav_seconds(out["audio"])
    assert seconds > 1.0
    assert out["timing"]["duration"] == pytest.approx(seconds, abs=1e-3)
    assert out["audio.meta"]["duration"] == pytest.approx(seconds, abs=1e-3)
    assert out["audio.meta"]["mime"] == "audio/wav"


def test_longer_text_gives_longer_speech(harness):
    short = harness.run("l10n.voiceover", {"scene_padding": 0}, script=script(
        "en", {"id": "a", "narration": ["Coffee."]}))
    long = harness.run("l10n.voiceover", {"scene_padding": 0}, script=script(
        "en", {"id": "a", "narration": ["Every good morning starts with a cup of freshly roasted coffee."]}))
    assert wav_seconds(long["audio"]) > 3 * wav_seconds(short["audio"]) > 0


def test_scenes_follow_each_other_and_lines_sit_inside_their_scene(harness):
    out = harness.run("l10n.voiceover", {"line_pause": 0.5, "scene_padding": 0.25}, script=script(
        "ca", {"id": "a", "narration": ["Bon dia.", "Com estàs?"]}, {"id": "b", "narration": ["Adéu."]}))
    first, second = out["timing"]["scenes"]
    assert first["start"] == 0 and second["start"] == pytest.approx(first["end"])
    line_1, line_2 = first["lines"]
    assert line_2["start"] - line_1["end"] == pytest.approx(0.5, abs=1e-3)
    assert first["end"] - line_2["end"] == pytest.approx(0.25, abs=1e-3)
    assert first["speech_duration"] == pytest.approx(line_2["end"] - line_1["start"], abs=1e-3)


def test_a_fixed_scene_duration_longer_than_the_speech_wins(harness):
    out = harness.run("l10n.voiceover", {}, script=script(
        "en", {"id": "a", "narration": ["Hi."], "duration": 4.0}, {"id": "b", "duration": 1.5}))
    first, second = out["timing"]["scenes"]
    assert first["duration"] == pytest.approx(4.0, abs=1e-3)
    assert second["duration"] == pytest.approx(1.5, abs=1e-3) and second["lines"] == []
    assert wav_seconds(out["audio"]) == pytest.approx(5.5, abs=1e-3)


def test_the_voice_follows_the_script_locale(harness):
    out = harness.run("l10n.voiceover", {}, script=script("ar", {"id": "a", "narration": ["مرحبا"]}))
    assert out["timing"]["voice"] == "ar"
    assert out["audio.meta"]["language"] == "ar"


def test_a_locale_without_a_voice_is_refused_with_the_way_out(harness):
    with pytest.raises(NodeError) as failure:
        harness.run("l10n.voiceover", {}, script=script("zz", {"id": "a", "narration": ["?"]}))
    assert failure.value.param == "voice" and "espeak-ng --voices" in failure.value.hint


def test_missing_espeak_ng_says_how_to_install_it(harness, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH where no espeak-ng lives
    with pytest.raises(NodeError) as failure:
        harness.run("l10n.voiceover", {}, script=script("en", {"id": "a", "narration": ["Hi."]}))
    assert "apt-get install espeak-ng" in failure.value.hint
