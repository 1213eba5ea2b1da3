"""Language tags for media streams.

MP4 stores a stream's language as a three-letter ISO 639-2 code, while graphs and locales speak
BCP 47 ('es', 'pt-BR', 'zh-Hant'). ffmpeg's MP4 muxer converts every code it knows to the
bibliographic form (German is 'ger', not 'deu'), so that is the form written here too: what we
write is what ffprobe reads back.
"""
from __future__ import annotations

UNDETERMINED = "und"


def mp4_language(tag: str | None) -> str | None:
    """The ISO 639-2/B code for a BCP 47 or ISO 639 tag ('es' -> 'spa', 'de-AT' -> 'ger'),
    'und' for an empty tag, None when the language is unknown."""
    import pycountry

    if not tag or not tag.strip():
        return UNDETERMINED
    primary = tag.strip().replace("_", "-").split("-")[0].lower()
    if primary == UNDETERMINED:
        return UNDETERMINED
    if len(primary) == 2:
        language = pycountry.languages.get(alpha_2=primary)
    elif len(primary) == 3:
        language = (pycountry.languages.get(alpha_3=primary)
                    or pycountry.languages.get(bibliographic=primary))
    else:
        language = None
    if language is None:
        return None
    return getattr(language, "bibliographic", None) or language.alpha_3
