"""The footer every screen shows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget

HELP_KEY = "help"  # the action that lists every key: always in the footer


@dataclass(frozen=True)
class Shown:
    binding: Binding
    enabled: bool
    app_wide: bool


@dataclass(frozen=True)
class Placed:
    """A key as the footer paints it: its caps, what it does, and where it sits."""

    key: str
    key_display: str
    description: str
    enabled: bool
    x: int
    width: int


class DeskFooter(Widget, can_focus=False):
    """The keys of the screen, on one line, painted as one piece of text.

    Textual's Footer mounts a widget per key and mounts them all again each time the screen's
    bindings change (every focus move): some thirty ms a time here, paid several times while a
    screen opens. This one works out which keys fit and repaints the line, only when they
    change. It shows only keys that fit whole (a key cut after "F7 Expiri" told the desk
    nothing), the screen's own keys before the app-wide F-keys, and F1 Keys always; every key
    is in F1 help, which names Ctrl+P. A table's hidden binding of a key (a DataTable's Enter
    "Select") does not hide the screen's shown binding of the same key (the day sheet's Enter
    "Patient"). A click on a key presses it."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES: ClassVar[set[str]] = {"desk-footer--key", "desk-footer--description"}
    DEFAULT_CSS = """
    DeskFooter {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        .desk-footer--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .desk-footer--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self.placed: list[Placed] = []

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self.place()  # in the screen's first frame; placed again if its keys change

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        # While the terminal has lost focus nothing has focus, and the keys it would show
        # then are not the screen's: left as they were, as Textual's footer does.
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            self.call_after_refresh(self.place)

    def on_resize(self, _event: events.Resize) -> None:
        self.place()

    def place(self) -> None:
        """Work out the keys that fit; repaint only when they changed."""
        if not self.is_attached:
            return
        placed, x = [], 0
        for item in self.fitting(self.app.size.width):
            display, width = self.app.get_key_display(item.binding), self.width_of(item)
            binding = item.binding
            placed.append(Placed(binding.key, display, binding.description, item.enabled, x, width))
            x += width + 1
        if placed != self.placed:
            self.placed = placed
            self.refresh()

    def render(self) -> Text:
        key_style = self.get_component_rich_style("desk-footer--key")
        description_style = self.get_component_rich_style("desk-footer--description")
        line = Text(no_wrap=True, overflow="crop", end="")
        for key in self.placed:
            dim = Style() if key.enabled else Style(dim=True)
            line.append(key.key_display, key_style + dim)
            line.append(f" {key.description}", description_style + dim)
            line.append(" ")
        # Under every part, the footer's own colours: a key's background may be transparent.
        line.stylize_before(self.rich_style)
        return line

    def on_click(self, event: events.Click) -> None:
        key = next((k for k in self.placed if k.x <= event.x < k.x + k.width), None)
        if key is None:
            return
        if key.enabled:
            self.app.simulate_key(key.key)
        else:
            self.app.bell()

    def shown(self) -> list[Shown]:
        """The keys to show, one per action: the screen's first, then the app's."""
        screen, app = self.screen, self.app
        found: dict[str, Shown] = {}
        for key, (node, binding, enabled, _tooltip) in screen.active_bindings.items():
            if not binding.show:
                # Hidden here (a widget's own binding of the key): the screen's, if it shows.
                mine = [b for b in screen._bindings.key_to_bindings.get(key, []) if b.show]
                if not mine:
                    continue
                node, binding, enabled = screen, mine[0], True
            if binding.action not in found:
                found[binding.action] = Shown(binding, enabled, node is app)
        return sorted(found.values(), key=lambda s: s.app_wide)

    def width_of(self, item: Shown) -> int:
        """Cells of "F1 Keys": the key as shown, a space, what it does."""
        display = self.app.get_key_display(item.binding)
        return cell_len(display) + 1 + cell_len(item.binding.description)

    def fitting(self, width: int) -> list[Shown]:
        """The keys that fit the width whole, in order; F1 Keys keeps its room, since it is
        where every key left out is found."""

        def cost(item: Shown) -> int:  # "F1 Keys" and the gap after it
            return self.width_of(item) + 1

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
