"""Localization: translate scripts, voice them, subtitle them, burn captions in.

    l10n.translate  -> l10n.voiceover -> l10n.subtitles -> l10n.captions

Modules: script (the script document), catalogs (PO / XLIFF / JSON), mt_backends (apertium),
glossary, tts (espeak-ng), cue_layout and subtitle_formats (SRT / WebVTT), fonts, text_layout
and caption_overlay (shaped text for any script), plus one module per node.
"""
from __future__ import annotations

from reelgraph.nodes.l10n.captions import Captions
from reelgraph.nodes.l10n.subtitles import Subtitles
from reelgraph.nodes.l10n.translate import Translate
from reelgraph.nodes.l10n.voiceover import Voiceover

NODE_TYPES = [Translate, Voiceover, Subtitles, Captions]
