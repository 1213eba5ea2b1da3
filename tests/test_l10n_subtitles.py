"""l10n.subtitles: cues timed by the voice-over, readable, as SRT and WebVTT."""
from __future__ import annotations

import pytest

from reelgraph.nodes.errors import NodeError

LONG = "Our beans are roasted in small batches by people who care. You can taste the difference."


def script(*narrations: list[str], language: str = "en") -> dict:
    scenes = [{"id": f"s{i}", "narration": lines} for i, lines in enumerate(narrations)]
    return {"language": language, "source_language": "en",
            "script": {"language": language, "scenes": scenes}, "strings": []}


def timing(*scene_lines: list[tuple[float, float]]) -> dict:
    scenes = [{"id": f"s{i}", "start": lines[0][0], "end": lines[-1][1],
               "lines": [{"start": a, "end": b} for a, b in lines]} for i, lines in enumerate(scene_lines)]
    return {"duration": scene_lines[-1][-1][1] + 1, "scenes": scenes}


def test_each_spoken_line_becomes_a_cue_at_its_spoken_time(harness):
    out = harness.run("l10n.subtitles", {}, script=script(["Hello there."], ["Good morning."]),
                      timing=timing([(0.0, 1.5)], [(2.0, 3.25)]))
    cues = out["subtitles"].cues
    assert [(c.start, c.end, c.text) for c in cues] == [(0.0, 1.5, "Hello there."),
                                                        (2.0, 3.25, "Good morning.")]
    assert out["subtitles"].language == "en"


def test_srt_numbers_cues_and_uses_comma_milliseconds(harness):
    out = harness.run("l10n.subtitles", {}, script=script(["Hello there."], ["Good morning."]),
                      timing=timing([(0.0, 1.5)], [(3661.0, 3662.25)]))
    assert out["srt"] == ("1\n00:00:00,000 --> 00:00:01,500\nHello there.\n\n"
                          "2\n01:01:01,000 --> 01:01:02,250\nGood morning.\n")


def test_webvtt_has_its_header_dot_milliseconds_and_escaped_markup(harness):
    out = harness.run("l10n.subtitles", {}, script=script(["Salt & <pepper>."]), timing=timing([(0.0, 1.5)]))
    assert out["vtt"] == "WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nSalt &amp; &lt;pepper&gt;.\n"


def test_long_lines_are_split_into_cues_within_the_line_and_cue_limits(harness):
    params = {"max_line_chars": 20, "max_lines": 2}
    out = harness.run("l10n.subtitles", params, script=script([LONG]), timing=timing([(0.0, 8.0)]))
    cues = out["subtitles"].cues
    assert len(cues) > 2
    for cue in cues:
        lines = cue.text.split("\n")
        assert len(lines) <= 2 and all(len(line) <= 20 for line in lines)
    assert " ".join(" ".join(c.text.split("\n")) for c in cues) == LONG
    assert cues[0].start == 0.0 and cues[-1].end == 8.0
    assert all(a.end <= b.start for a, b in zip(cues, cues[1:], strict=False))


def test_a_new_sentence_starts_a_new_cue(harness):
    out = harness.run("l10n.subtitles", {}, script=script(["Hello there. Good morning to you."]),
                      timing=timing([(0.0, 4.0)]))
    assert [c.text for c in out["subtitles"].cues] == ["Hello there.", "Good morning to you."]


def test_two_line_cues_are_balanced(harness):
    text = "Every good morning starts with a cup of coffee."
    out = harness.run("l10n.subtitles", {"max_line_chars": 42}, script=script([text]),
                      timing=timing([(0.0, 4.0)]))
    top, bottom = out["subtitles"].cues[0].text.split("\n")
    assert abs(len(top) - len(bottom)) <= 8


def test_fast_cues_are_held_into_the_following_silence_for_reading(harness):
    text = "Roasted fresh, every single day."  # 32 characters
    out = harness.run("l10n.subtitles", {"max_chars_per_second": 16}, script=script([text], ["Next."]),
                      timing=timing([(0.0, 1.0)], [(5.0, 6.0)]))
    first = out["subtitles"].cues[0]
    assert first.end == pytest.approx(2.0)  # 32 chars at 16 chars/s


def test_holding_a_cue_never_overlaps_the_next_one(harness):
    text = "Roasted fresh, every single day."
    out = harness.run("l10n.subtitles", {"max_chars_per_second": 16}, script=script([text], ["Next."]),
                      timing=timing([(0.0, 1.0)], [(1.2, 2.0)]))
    first, second = out["subtitles"].cues
    assert first.end == pytest.approx(1.2) and second.start == pytest.approx(1.2)


def test_timing_from_another_script_is_refused(harness):
    with pytest.raises(NodeError) as failure:
        harness.run("l10n.subtitles", {}, script=script(["One.", "Two."]), timing=timing([(0.0, 1.0)]))
    assert failure.value.port == "timing"
