"""How wide a text is drawn, estimated without font metrics (the server has none).

The canvas cuts names to fit their cards and the layout makes room for branch labels; both
measure text with the same generous per-glyph estimate of a sans-serif font. A canvas redrawn
after an edit measures the same names again, so what was measured is remembered.
"""

from __future__ import annotations

import functools

_NARROW = frozenset("il.,:;'|!Ijft ()[]")
_WIDE = frozenset("mwMW@%")
_WIDE_SCRIPTS = 0x2E80  # CJK, emoji and the like are drawn about an em wide or more


def _glyph_em(char: str, bold: bool) -> float:
    """An estimate of a sans-serif glyph's advance, in ems. Against Chromium with DejaVu Sans
    (Debian's sans-serif, a wide one) it runs up to 8 % short on regular text and within 2 %
    on bold: where overflowing matters, measure at a larger size (see layout.py)."""
    if char in _NARROW:
        em = 0.33
    elif ord(char) >= _WIDE_SCRIPTS:
        em = 1.2
    elif char.isupper() or char in _WIDE:
        em = 0.74
    elif char.isdigit():
        em = 0.6
    else:
        em = 0.56
    return em * (1.08 if bold else 1.0)


def text_width(text: str, font_px: float, *, bold: bool = False) -> float:
    """The estimated width of `text` in pixels."""
    return sum(_glyph_em(char, bold) for char in text) * font_px


@functools.lru_cache(maxsize=16384)
def fit(text: str, width_px: float, font_px: float, *, bold: bool = False) -> str:
    """`text`, cut with an ellipsis where it would overflow `width_px`."""
    used = 0.0
    for index, char in enumerate(text):
        used += _glyph_em(char, bold) * font_px
        if used > width_px:
            return text[: max(index - 1, 1)] + "…"
    return text


def wrap(text: str, widths: tuple[float, ...], font_px: float, *, bold: bool = False) -> list[str]:
    """`text` broken into at most one line per entry of `widths` (each line's room in pixels),
    at spaces where it can, inside a word where one word is wider than its line; the last line
    cut with an ellipsis when the text does not end there. Each line but the last keeps its
    trailing space, so the lines joined read as the text."""
    return list(_wrapped(text, widths, font_px, bold))


@functools.lru_cache(maxsize=16384)
def _wrapped(text: str, widths: tuple[float, ...], font_px: float, bold: bool) -> tuple[str, ...]:
    lines: list[str] = []
    rest = text
    for index, width_px in enumerate(widths):
        if not rest:
            break
        if index == len(widths) - 1:
            lines.append(fit(rest, width_px, font_px, bold=bold))
            break
        line = _longest_start(rest, width_px, font_px, bold)
        lines.append(line)
        rest = rest[len(line) :]
    return tuple(lines)


def _longest_start(text: str, width_px: float, font_px: float, bold: bool) -> str:
    """The longest start of `text` that fits `width_px`, ending after a space when one fits."""
    used, fits = 0.0, len(text)
    for index, char in enumerate(text):
        used += _glyph_em(char, bold) * font_px
        if used > width_px:
            fits = index
            break
    if fits == len(text):
        return text
    space = text.rfind(" ", 0, fits + 1)
    return text[: space + 1] if space > 0 else text[: max(fits, 1)]
