"""What to paint for one field of text: Arabic in visual order with joined letters, or as stored.

Textual has no right-to-left support: it paints characters left to right, one cell each. A
terminal that does no BiDi of its own (xterm, tmux, Windows Terminal, the browser's xterm.js)
then shows an Arabic name mirrored with its letters unjoined, and one that does (VTE, Konsole,
mlterm) reorders whole screen lines, moving a cell's parentheses and digits into its neighbour.
The three modes:

- ``app``: deskbook reorders (the Unicode BiDi algorithm, python-bidi) and shapes (presentation
  forms, arabic-reshaper) each field by itself, so a table cell or a label is one paragraph and
  nothing crosses a column. The terminal's own BiDi is turned off with BDSM (``CSI 8 l``,
  ECMA-48 and the terminal-wg BiDi recommendation, which VTE implements) and on again at exit.
- ``terminal``: text goes out in logical order and the terminal does what it does (the old way).
- ``off``: Arabic as stored, and the terminal's BiDi off too: for checking what was typed.

Only what is painted changes: the database, the search box while editing and exports keep the
logical order. This module imports nothing of Textual; the TUI calls it per cell or label.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from enum import StrEnum
from functools import cache, lru_cache
from typing import Any

from rich.cells import cell_len

ELLIPSIS = "…"
# BDSM (Bi-Directional Support Mode): reset = explicit mode, the terminal paints cells as sent.
TERMINAL_BIDI_OFF = "\x1b[8l"
TERMINAL_BIDI_ON = "\x1b[8h"

# A known word for the check on the login screen: clinic, with letters that join both ways.
CHECK_WORD = "عيادة"


class BidiMode(StrEnum):
    APP = "app"
    TERMINAL = "terminal"
    OFF = "off"


def parse_mode(raw: str) -> BidiMode | None:
    """The mode a setting names, or None for a value that names none."""
    try:
        return BidiMode(raw.strip().lower())
    except ValueError:
        return None


def default_mode(env: Mapping[str, str]) -> BidiMode:
    """The mode for a terminal known from its environment, before anyone has chosen.

    Konsole and mlterm reorder by themselves and cannot be told not to: leave it to them.
    Everything else known here (the browser, VTE which the escape switches off, xterm, tmux,
    Windows Terminal, kitty, alacritty) paints cells as sent, and so do most terminals an ssh
    client runs in: the app reorders.
    """
    if env.get("KONSOLE_VERSION") or env.get("MLTERM"):
        return BidiMode.TERMINAL
    return BidiMode.APP


def terminal_switch(mode: BidiMode, env: Mapping[str, str]) -> tuple[str, str]:
    """The escapes to send at start and at exit: off and on again where a terminal may do
    BiDi that the mode does not want. VTE says so by VTE_VERSION; over ssh that variable does
    not travel, so a remote session sends them too. Terminals without BiDi ignore the mode."""
    if mode is BidiMode.TERMINAL:
        return "", ""
    if env.get("VTE_VERSION") or env.get("SSH_CONNECTION"):
        return TERMINAL_BIDI_OFF, TERMINAL_BIDI_ON
    return "", ""


def has_rtl(text: str) -> bool:
    return any(unicodedata.bidirectional(ch) in ("R", "AL", "AN") for ch in text)


def shown(text: str, mode: BidiMode) -> str:
    """What to paint for one field's logical text."""
    if mode is not BidiMode.APP or not has_rtl(text):
        return text
    return visual(text)


def fit(text: str, width: int, mode: BidiMode) -> str:
    """One field cut to `width` cells (in logical order, so the start of a name survives),
    then in the order to paint it."""
    return shown(cut(text, width), mode)


def cut(text: str, width: int) -> str:
    """`text` in at most `width` terminal cells. A cut text ends with … and is cut after a
    whole word where at least half the room stays used; combining marks (tashkeel) take no
    cell and stay with their letter."""
    if cell_len(text) <= width:
        return text
    if width <= 0:
        return ""
    room = width - cell_len(ELLIPSIS)
    kept = ""
    for cluster in _clusters(text):
        if cell_len(kept + cluster) > room:
            break
        kept += cluster
    at_word_end = text[len(kept) : len(kept) + 1] in (" ", "") or kept.endswith(" ")
    space = kept.rstrip().rfind(" ")
    if not at_word_end and space > 0 and cell_len(kept[:space]) >= room // 2:
        kept = kept[:space]
    return kept.rstrip() + ELLIPSIS


@lru_cache(maxsize=4096)
def visual(text: str) -> str:
    """One paragraph of logical text, shaped and in left-to-right painting order."""
    shaped = _reshaper().reshape(text)
    levels = _levels(shaped)
    if levels is None:
        # python-bidi changed how it reports levels: still reorder, unmirrored.
        from bidi import get_display

        return str(get_display(shaped))
    return _reorder(shaped, levels)


# -- the last steps of the BiDi algorithm --------------------------------------------------
#
# python-bidi (the Rust unicode-bidi inside) resolves the embedding levels with the whole of
# UAX #9, paired brackets included, but reorders with rules L1-L2 only: it leaves L3 (a
# combining mark stays after its letter) and L4 (a bracket in a right-to-left run shows
# mirrored) to the renderer (python-bidi issue 25). A terminal renderer does neither, so the
# levels are taken from python-bidi and the reordering is done here, per cluster.

_LEVEL = re.compile(r"Level\(\s*(\d+),?\s*\)")


def _levels(text: str) -> list[int] | None:
    """The resolved embedding level of each character, or None if python-bidi's report has
    not the shape this expects."""
    from bidi.bidi import get_display_inner

    report = str(get_display_inner(text, None, True))
    start, end = report.find("levels:"), report.find("paragraphs:")
    if start < 0 or end < start:
        return None
    per_byte = [int(found) for found in _LEVEL.findall(report, start, end)]
    if len(per_byte) != len(text.encode("utf-8")):
        return None
    levels, offset = [], 0
    for ch in text:
        levels.append(per_byte[offset])
        offset += len(ch.encode("utf-8"))
    return levels


def _reorder(text: str, levels: list[int]) -> str:
    base = 1 if levels and unicodedata.bidirectional(_first_strong(text)) in ("R", "AL") else 0
    levels = list(levels)
    # L1: whitespace at the end goes back to the paragraph's level.
    index = len(text) - 1
    while index >= 0 and unicodedata.bidirectional(text[index]) in ("WS", "S", "B", "BN"):
        levels[index] = base
        index -= 1
    units: list[tuple[str, int]] = []
    for ch, level in zip(text, levels, strict=True):
        if units and _is_mark(ch):
            units[-1] = (units[-1][0] + ch, units[-1][1])  # L3: with its letter
        else:
            units.append((_mirrored(ch) if level % 2 else ch, level))  # L4
    # L2: from the highest level down to the lowest odd one, reverse every run at or above it.
    order = list(range(len(units)))
    highest = max((level for _, level in units), default=0)
    lowest_odd = min((level for _, level in units if level % 2), default=highest + 1)
    for level in range(highest, lowest_odd - 1, -1):
        i = 0
        while i < len(order):
            if units[order[i]][1] >= level:
                j = i
                while j < len(order) and units[order[j]][1] >= level:
                    j += 1
                order[i:j] = reversed(order[i:j])
                i = j
            else:
                i += 1
    return "".join(units[i][0] for i in order)


def _first_strong(text: str) -> str:
    for ch in text:
        if unicodedata.bidirectional(ch) in ("L", "R", "AL"):
            return ch
    return "a"


def _is_mark(ch: str) -> bool:
    return unicodedata.category(ch) in ("Mn", "Me")


def _mirrored(ch: str) -> str:
    from bidi.mirror import MIRRORED

    return str(MIRRORED.get(ch, ch))


def _clusters(text: str) -> list[str]:
    """Letters with their combining marks, so a cut never strands a mark."""
    clusters: list[str] = []
    for ch in text:
        if clusters and _is_mark(ch):
            clusters[-1] += ch
        else:
            clusters.append(ch)
    return clusters


@cache
def _reshaper() -> Any:
    import arabic_reshaper

    return arabic_reshaper.ArabicReshaper(
        configuration={
            # Tashkeel is part of a name as written; it stays, as combining marks.
            "delete_harakat": False,
            # Lam-alef joins in every Arabic font; word ligatures (ﷲ) are one cell drawn
            # several wide in a terminal, so the word stays in letters.
            "ARABIC LIGATURE ALLAH": False,
        }
    )
