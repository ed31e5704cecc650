"""The footer every screen shows."""

from __future__ import annotations

from dataclasses import dataclass

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

HELP_KEY = "help"  # the action that lists every key: always in the footer


@dataclass(frozen=True)
class Shown:
    binding: Binding
    enabled: bool
    tooltip: str
    app_wide: bool


class DeskFooter(Footer):
    """Textual's footer, compact and without its "Ctrl+P palette" corner: at 80 columns the
    patient screen's everyday keys were cut off behind them. Every key is still in F1 help,
    which names Ctrl+P, and Ctrl+P still opens the palette.

    Unlike Textual's, it shows only keys that fit whole (a key cut after "F7 Expiri" told the
    desk nothing), the screen's own keys before the app-wide F-keys, and F1 Keys always. A
    table's hidden binding of a key (a DataTable's Enter "Select") does not hide the screen's
    shown binding of the same key (the day sheet's Enter "Patient")."""

    def __init__(self) -> None:
        super().__init__(compact=True, show_command_palette=False)

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        for item in self.fitting(self.app.size.width):
            yield FooterKey(
                item.binding.key,
                self.app.get_key_display(item.binding),
                item.binding.description,
                item.binding.action,
                disabled=not item.enabled,
                tooltip=item.tooltip,
            ).data_bind(compact=Footer.compact)

    def shown(self) -> list[Shown]:
        """The keys to show, one per action: the screen's first, then the app's."""
        screen, app = self.screen, self.app
        found: dict[str, Shown] = {}
        for key, (node, binding, enabled, tooltip) in screen.active_bindings.items():
            if not binding.show:
                # Hidden here (a widget's own binding of the key): the screen's, if it shows.
                mine = [b for b in screen._bindings.key_to_bindings.get(key, []) if b.show]
                if not mine:
                    continue
                node, binding, enabled, tooltip = screen, mine[0], True, ""
            if binding.action not in found:
                found[binding.action] = Shown(binding, enabled, tooltip, node is app)
        return sorted(found.values(), key=lambda s: s.app_wide)

    def fitting(self, width: int) -> list[Shown]:
        """The keys that fit the width whole, in order; F1 Keys keeps its room, since it is
        where every key left out is found."""

        def cost(item: Shown) -> int:  # "F1 Keys" and the gap after it
            shown = len(self.app.get_key_display(item.binding)) + 1 + len(item.binding.description)
            return shown + 1

        items = self.shown()
        keep = next((i for i in items if i.binding.action == HELP_KEY), None)
        room = width - (cost(keep) if keep is not None else 0)
        chosen: list[Shown] = []
        for item in items:
            if item is keep:
                chosen.append(item)
            elif cost(item) <= room:
                chosen.append(item)
                room -= cost(item)
        return chosen

    def on_resize(self, _event: events.Resize) -> None:
        self.call_after_refresh(self.recompose)
