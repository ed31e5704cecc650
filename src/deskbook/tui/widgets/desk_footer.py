"""The footer every screen shows."""

from __future__ import annotations

from textual.widgets import Footer


class DeskFooter(Footer):
    """Textual's footer, compact and without its "Ctrl+P palette" corner: at 80 columns the
    patient screen's everyday keys were cut off behind them. Every key is still in F1 help,
    which names Ctrl+P, and Ctrl+P still opens the palette."""

    def __init__(self) -> None:
        super().__init__(compact=True, show_command_palette=False)
