"""l10n.captions: text burned into frames, shaped right for Arabic, Hebrew and Devanagari.

References are drawn here with Pillow directly: raqm layout for the correct shaping, and single
letters for what unshaped text would look like.
"""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont, features

from reelgraph.nodes.l10n.fonts import FontChooser
from reelgraph.nodes.values import Cue, Frames, Subtitles

HEIGHT, WIDTH, SCALE = 128, 320, 0.25
SIZE = round(HEIGHT * SCALE)  # the font size the node uses for these frames


def black_frames(count: int = 2, fps: float = 1.0) -> Frames:
    return Frames.from_arrays([np.zeros((HEIGHT, WIDTH, 3), np.uint8) for _ in range(count)], fps)


def caption(harness, text: str, language: str, **params) -> np.ndarray:
    """The first frame with `text` burned in, white on black, no box."""
    out = harness.run("l10n.captions", {"font_scale": SCALE, "box_opacity": 0, **params},
                      frames=black_frames(), subtitles=Subtitles([Cue(0.0, 10.0, text)], language))
    return next(iter(out["frames"]))


def ink(image: np.ndarray) -> np.ndarray:
    gray = image if image.ndim == 2 else image.max(axis=2)
    mask = gray > 128
    rows, cols = np.where(mask.any(1))[0], np.where(mask.any(0))[0]
    return mask[rows.min():rows.max() + 1, cols.min():cols.max() + 1]


def reference(text: str, script: str, *, direction: str | None = "rtl", raqm: bool = True) -> np.ndarray:
    font_path = FontChooser().candidates(script)[0]
    engine = ImageFont.Layout.RAQM if raqm else ImageFont.Layout.BASIC
    font = ImageFont.truetype(str(font_path), SIZE, layout_engine=engine)
    image = Image.new("L", (WIDTH * 2, HEIGHT), 0)
    ImageDraw.Draw(image).text((10, 10), text, font=font, fill=255, direction=direction if raqm else None)
    return ink(np.asarray(image))


def x_of(haystack: np.ndarray, needle: np.ndarray) -> int:
    """Where `needle` (an ink mask) matches best in `haystack`, as a column."""
    import cv2

    scores = cv2.matchTemplate(haystack.astype(np.float32), needle.astype(np.float32), cv2.TM_CCOEFF_NORMED)
    return int(np.unravel_index(np.argmax(scores), scores.shape)[1])


def test_pillow_here_has_raqm():
    assert features.check("raqm"), "install libraqm0 and libfribidi0"


def test_arabic_letters_are_joined_like_pillows_raqm_rendering(harness):
    word = "بيت"  # three letters that all join: initial, medial and final forms
    rendered = ink(caption(harness, word, "ar"))
    joined = reference(word, "ARABIC")
    isolated_width = sum(reference(letter, "ARABIC").shape[1] for letter in word)
    assert abs(rendered.shape[1] - joined.shape[1]) <= 2
    assert rendered.shape[1] < 0.8 * isolated_width


def test_arabic_runs_right_to_left(harness):
    word = "ورد"  # letters that never join, so each appears exactly as drawn alone
    rendered = ink(caption(harness, word, "ar")).astype(np.uint8)
    waw, reh, dal = (x_of(rendered, reference(letter, "ARABIC")) for letter in word)
    assert waw > reh > dal  # the first letter typed is the rightmost


def test_latin_inside_arabic_keeps_its_reading_order_on_the_left(harness):
    rendered = ink(caption(harness, "قهوة Reelgraph", "ar")).astype(np.uint8)
    arabic = x_of(rendered, reference("قهوة", "ARABIC"))
    latin = x_of(rendered, reference("Reelgraph", "LATIN", direction="ltr"))
    assert latin < arabic


def test_hebrew_runs_right_to_left(harness):
    rendered = ink(caption(harness, "שלום", "he")).astype(np.uint8)
    shin, mem = x_of(rendered, reference("ש", "HEBREW")), x_of(rendered, reference("ם", "HEBREW"))
    assert shin > mem


def test_devanagari_vowel_sign_is_placed_before_its_consonant(harness):
    word = "हिन्दी"
    rendered = ink(caption(harness, word, "hi"))
    shaped = reference(word, "DEVANAGARI", direction="ltr")
    unshaped = reference(word, "DEVANAGARI", raqm=False)
    assert rendered.shape == shaped.shape
    assert (rendered == shaped).mean() > 0.97
    assert rendered.shape != unshaped.shape or (rendered == unshaped).mean() < 0.9


def test_frames_outside_every_cue_are_unchanged(harness):
    frames = Frames.from_arrays([np.full((HEIGHT, WIDTH, 3), 60, np.uint8) for _ in range(4)], fps=2)
    out = harness.run("l10n.captions", {"font_scale": SCALE}, frames=frames,
                      subtitles=Subtitles([Cue(0.5, 1.0, "Hola")], "es"))
    result = list(out["frames"])
    assert len(result) == 4 and out["frames"].fps == 2
    assert (result[0] == 60).all() and (result[2] == 60).all() and (result[3] == 60).all()
    assert (result[1] != 60).any()


def test_on_screen_text_shows_for_its_scene_from_the_voiceover_timing(harness):
    script = {"language": "es", "scenes": [{"id": "a", "on_screen": "Café", "duration": 1},
                                           {"id": "b", "on_screen": [], "duration": 1}]}
    timing = {"scenes": [{"id": "a", "start": 0.0, "end": 1.0}, {"id": "b", "start": 1.0, "end": 2.0}]}
    out = harness.run("l10n.captions", {"font_scale": SCALE}, frames=black_frames(count=2, fps=1),
                      script=script, timing=timing)
    first, second = list(out["frames"])
    assert first[: HEIGHT // 2].max() > 128 and first[HEIGHT // 2:].max() < 128  # on top
    assert second.max() == 0


def test_no_text_source_is_refused(harness):
    from reelgraph.nodes.errors import NodeError

    with pytest.raises(NodeError) as failure:
        harness.run("l10n.captions", {}, frames=black_frames())
    assert "subtitles" in failure.value.hint


def test_emoji_that_noto_symbols_has_are_drawn(harness):
    plain = caption(harness, "Coffee", "en")
    with_symbols = caption(harness, "Coffee ☕ ★", "en")  # before: missing_font, "install fonts-noto-core"
    assert ink(with_symbols).shape[1] > ink(plain).shape[1]  # the symbols took ink to the right


def test_emoji_no_outline_font_has_name_the_package_that_has_them(harness):
    from reelgraph.nodes import NodeError
    from reelgraph.nodes.l10n.fonts import installed_fonts

    if any(name.startswith("Symbola") for name in installed_fonts()):
        pytest.skip("fonts-symbola is installed here: every emoji has a glyph")
    with pytest.raises(NodeError) as caught:
        FontChooser().check_covers("Party 🎉")
    message = str(caught.value)
    assert "🎉 (U+1F389)" in message and "fonts-symbola" in message and "fonts-noto-core" not in message
