"""How wide a text is drawn, estimated without font metrics (the server has none).

The canvas cuts names to fit their cards and the layout makes room for branch labels; both
measure text with the same generous per-glyph estimate of a sans-serif font.
"""

from __future__ import annotations

_NARROW = frozenset("il.,:;'|!Ij ")
_SEMI_NARROW = frozenset("ftr()[]-")
_WIDE = frozenset("mwMW@%")
_WIDE_SCRIPTS = 0x2E80  # CJK, emoji and the like are drawn about an em wide or more


def _glyph_em(char: str, bold: bool) -> float:
    """A generous estimate of a glyph's advance, in ems: at least DejaVu Sans' (Debian's
    sans-serif, one of the widest), so that a text measured here fits in any browser."""
    if char in _NARROW:
        em = 0.34
    elif char in _SEMI_NARROW:
        em = 0.42
    elif ord(char) >= _WIDE_SCRIPTS:
        em = 1.2
    elif char in _WIDE:
        em = 1.0
    elif char.isupper():
        em = 0.78
    else:
        em = 0.64
    return em * (1.08 if bold else 1.0)


def text_width(text: str, font_px: float, *, bold: bool = False) -> float:
    """The estimated width of `text` in pixels."""
    return sum(_glyph_em(char, bold) for char in text) * font_px


def fit(text: str, width_px: float, font_px: float, *, bold: bool = False) -> str:
    """`text`, cut with an ellipsis where it would overflow `width_px`."""
    used = 0.0
    for index, char in enumerate(text):
        used += _glyph_em(char, bold) * font_px
        if used > width_px:
            return text[: max(index - 1, 1)] + "…"
    return text
