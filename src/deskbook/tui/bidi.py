"""How this desk paints Arabic right now (deskbook.display), and the terminal's own BiDi.

Which mode, first to last: the answer given to the check on the login screen, then
DESKBOOK_BIDI, then what the login chose before (staff.display_mode), then the terminal's
default (deskbook.display.default_mode). The terminal's own reordering is switched off while a
mode paints in visual order, and back on at exit or when the mode leaves it to the terminal.
"""

from __future__ import annotations

from collections.abc import Mapping

from deskbook.display import BidiMode, default_mode, fit, shown, terminal_switch


class BidiState:
    def __init__(self, forced: BidiMode | None, env: Mapping[str, str]) -> None:
        self.forced = forced
        self.env = dict(env)
        self.mode = forced or default_mode(env)
        # The answer given on the login screen, to keep for the login that signs in.
        self.answered: BidiMode | None = None
        self.terminal_bidi_off = False

    def start(self) -> str:
        """The escape to send as the app starts."""
        return self._switch(self.mode)

    def choose(self, mode: BidiMode) -> str:
        """Paint in `mode` from now on; returns the escape to send for it."""
        self.mode = mode
        return self._switch(mode)

    def after_sign_in(self, stored: str | None) -> BidiMode | None:
        """The mode to use for a login that chose `stored` before, if it changes anything."""
        if self.answered is not None or self.forced is not None or stored is None:
            return None
        try:
            mode = BidiMode(stored)
        except ValueError:
            return None
        return mode if mode is not self.mode else None

    def at_exit(self) -> str:
        return self._escapes()[1] if self.terminal_bidi_off else ""

    def _escapes(self) -> tuple[str, str]:
        # The off and on escapes this terminal takes, if it may do BiDi at all.
        return terminal_switch(BidiMode.APP, self.env)

    def _switch(self, mode: BidiMode) -> str:
        off, on = self._escapes()
        want_off = mode is not BidiMode.TERMINAL and bool(off)
        if want_off == self.terminal_bidi_off:
            return ""
        self.terminal_bidi_off = want_off
        return off if want_off else on

    def paint(self, text: str) -> str:
        return shown(text, self.mode)

    def fit(self, text: str, width: int) -> str:
        return fit(text, width, self.mode)
