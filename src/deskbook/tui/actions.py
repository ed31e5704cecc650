"""The one registry of the front desk's actions.

Each action is declared once here, with an id, a default key and the words shown for it. The
screens take their BINDINGS from it, the help screen lists it, the command palette offers it,
and a receptionist can move any key with DESKBOOK_KEYMAP, e.g.

    DESKBOOK_KEYMAP="patient.book=f5;search.new_patient=ctrl+n"

Keys that terminals mangle (ctrl+j/m/i/h are Enter/Tab/Backspace in disguise, alt+ arrives as
escape sequences over ssh) are refused in defaults and in a keymap alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache

from textual.binding import Binding, BindingType
from textual.keys import format_key

from deskbook.config import Settings

KEYMAP_ENV = "DESKBOOK_KEYMAP"
MANGLED_KEYS = frozenset({"ctrl+j", "ctrl+m", "ctrl+i", "ctrl+h"})


@dataclass(frozen=True)
class DeskAction:
    id: str
    key: str
    action: str
    description: str
    show: bool = True
    priority: bool = False

    @property
    def scope(self) -> str:
        return self.id.split(".", 1)[0]


# Scope "app" is bound on the App (works on every screen); the others on the screen whose
# SCOPE names them. Order is the order in the footer and the help screen.
ACTIONS: tuple[DeskAction, ...] = (
    # Priority: the function keys work inside dialogs too (Textual stops other app keys there).
    DeskAction("app.help", "f1", "help", "Keys", priority=True),
    DeskAction("app.search", "f2", "search", "Search", priority=True),
    DeskAction("app.day_sheet", "f3", "day_sheet", "Day sheet", priority=True),
    DeskAction("app.audit", "f4", "audit", "Audit log", priority=True),
    DeskAction("app.board", "f5", "board", "Board", priority=True),
    DeskAction("app.expiring", "f7", "expiring", "Expiring", priority=True),
    DeskAction("app.reports", "f8", "reports", "Reports", priority=True),
    DeskAction("app.logins", "f9", "logins", "Logins", priority=True),
    DeskAction("app.quit", "ctrl+q", "quit", "Quit", priority=True),
    DeskAction("login.submit", "enter", "submit", "Sign in"),
    DeskAction("login.arabic_check", "f5", "arabic_check", "Arabic check"),
    DeskAction("check.app", "1", "answer('app')", "The first"),
    DeskAction("check.terminal", "2", "answer('terminal')", "The second"),
    DeskAction("check.cancel", "escape", "answer('')", "Keep as is"),
    DeskAction("search.open", "enter", "open", "Open"),
    DeskAction("search.new_patient", "n", "new_patient", "New patient"),
    DeskAction("search.register", "ctrl+n", "register", "New patient"),
    DeskAction("search.focus", "slash", "focus_search", "Find", show=False),
    DeskAction("search.down", "down", "move(1)", "Next row", show=False),
    DeskAction("search.up", "up", "move(-1)", "Previous row", show=False),
    # The search box keeps Home/End for its text; the page keys and ctrl+Home/End move the rows.
    DeskAction("search.page_down", "pagedown", "page(1)", "Next page", show=False),
    DeskAction("search.page_up", "pageup", "page(-1)", "Previous page", show=False),
    DeskAction("search.first", "ctrl+home", "page(-1000)", "First row", show=False),
    DeskAction("search.last", "ctrl+end", "page(1000)", "Last row", show=False),
    DeskAction("search.clear", "escape", "clear", "Clear", show=False),
    DeskAction("register.save", "enter", "save", "Save"),
    DeskAction("register.cancel", "escape", "cancel", "Cancel"),
    # Priority: Tab moves the focus when it arrives, so keys pasted after it in one burst land
    # in the next field (bound on the field, the move would wait behind the keys already sent).
    DeskAction("register.next", "tab", "focus_next", "Next field", show=False, priority=True),
    DeskAction(
        "register.previous",
        "shift+tab",
        "focus_previous",
        "Previous field",
        show=False,
        priority=True,
    ),
    DeskAction("edit.save", "enter", "save", "Save"),
    DeskAction("edit.cancel", "escape", "cancel", "Back"),
    DeskAction("edit.next", "tab", "focus_next", "Next field", show=False, priority=True),
    DeskAction(
        "edit.previous", "shift+tab", "focus_previous", "Previous field", show=False, priority=True
    ),
    DeskAction("dupes.down", "down", "move(1)", "Next record", show=False),
    DeskAction("dupes.up", "up", "move(-1)", "Previous record", show=False),
    DeskAction("dupes.back", "escape", "cancel", "Back to the form"),
    # ADMIN only (check_action): merge the record on the cursor with another, as ctrl+g does
    # on a patient's screen.
    DeskAction("dupes.merge", "ctrl+g", "merge", "Merge records"),
    # The footer shows the everyday keys (at 80 columns there is room for about eight); the
    # rarer ones are in F1 help and the Ctrl+P palette like every key.
    DeskAction("patient.book", "b", "book", "Book"),
    DeskAction("patient.cancel", "x", "cancel_appointment", "Cancel appt"),
    DeskAction("patient.reschedule", "r", "reschedule", "Reschedule"),
    DeskAction("patient.edit", "d", "edit", "Edit"),
    DeskAction("patient.pay", "m", "pay", "Payment"),
    DeskAction("patient.course", "c", "course", "Course"),
    DeskAction("patient.waitlist", "w", "waitlist", "Waitlist"),
    DeskAction("patient.back", "escape", "back", "Back"),
    DeskAction("patient.change_course", "k", "change_course", "Change course", show=False),
    DeskAction("patient.package_admin", "e", "package_admin", "Package admin", show=False),
    DeskAction("patient.void", "v", "void_purchase", "Void package", show=False),
    DeskAction("patient.merge", "ctrl+g", "merge", "Merge records", show=False),
    DeskAction("type.single", "s", "choose('SINGLE')", "Single"),
    DeskAction("type.package", "p", "choose('PACKAGE')", "Package"),
    DeskAction("type.group", "g", "choose('GROUP')", "Group"),
    DeskAction("type.cancel", "escape", "cancel", "Cancel"),
    DeskAction("chooser.use", "enter", "use", "Use"),
    DeskAction("chooser.assign", "a", "assign", "Assign & use"),
    DeskAction("chooser.switch", "tab", "switch_pane", "Other pane"),
    DeskAction("chooser.course", "c", "course", "Book a course"),
    DeskAction("chooser.cancel", "escape", "cancel", "Back"),
    DeskAction("pick.choose", "enter", "choose", "Choose"),
    DeskAction("pick.first", "f", "first_available", "First available"),
    DeskAction("pick.cancel", "escape", "cancel", "Back"),
    DeskAction("slots.prev_day", "left", "day(-1)", "Prev day"),
    DeskAction("slots.next_day", "right", "day(1)", "Next day"),
    DeskAction("slots.choose", "enter", "choose", "Choose"),
    DeskAction("slots.cancel", "escape", "cancel", "Back"),
    DeskAction("slots.prev_week", "pageup", "week(-1)", "Week back"),
    DeskAction("slots.next_week", "pagedown", "week(1)", "Week on"),
    DeskAction("slots.next_free", "n", "next_free", "Next free"),
    DeskAction("slots.go_to", "g", "go_to_date", "Go to date"),
    DeskAction("confirm.yes", "enter", "confirm", "Confirm"),
    DeskAction("confirm.no", "escape", "cancel", "Back"),
    DeskAction("group.prev_day", "left", "day(-1)", "Prev day"),
    DeskAction("group.next_day", "right", "day(1)", "Next day"),
    DeskAction("group.join", "enter", "join", "Join"),
    DeskAction("group.cancel", "escape", "cancel", "Back"),
    DeskAction("day.prev_day", "left,left_square_bracket", "day(-1)", "Prev day"),
    DeskAction("day.next_day", "right,right_square_bracket", "day(1)", "Next day"),
    DeskAction("day.check_in", "a", "status('check_in')", "Arrived"),
    DeskAction("day.complete", "c", "status('complete')", "Complete"),
    DeskAction("day.no_show", "n", "status('no_show')", "No-show"),
    DeskAction("day.undo", "u", "undo_status", "Undo status"),
    DeskAction("day.cancel", "x", "cancel_appointment", "Cancel"),
    DeskAction("day.reschedule", "r", "reschedule", "Reschedule"),
    DeskAction("day.open", "enter", "open", "Patient"),
    DeskAction("day.find", "slash", "find", "Find"),
    DeskAction("day.clinic", "k", "switch_clinic", "Clinic"),
    DeskAction("day.provider", "v", "pick_provider", "Provider"),
    DeskAction("day.status", "s", "next_status", "Status"),
    DeskAction("day.next_hour", "h", "next_hour", "Next hour"),
    DeskAction("day.export", "e", "export", "Export"),
    DeskAction("day.calls", "p", "calls", "Calls"),
    DeskAction("day.back", "escape", "back", "Back"),
    DeskAction("audit.back", "escape", "back", "Back"),
    DeskAction("logins.submit", "enter", "submit", "Unlock / set"),
    DeskAction("logins.back", "escape", "back", "Back"),
    DeskAction("export.save", "enter", "save", "Write file"),
    DeskAction("export.cancel", "escape", "cancel", "Back"),
    DeskAction("calls.confirm", "y", "confirm", "Confirmed"),
    DeskAction("calls.open", "enter", "open", "Patient"),
    DeskAction("calls.prev_day", "left_square_bracket", "day(-1)", "Prev day"),
    DeskAction("calls.next_day", "right_square_bracket", "day(1)", "Next day"),
    DeskAction("calls.back", "escape", "back", "Back"),
    DeskAction("board.open", "enter", "open", "Book / open"),
    DeskAction("board.check_in", "a", "status('check_in')", "Arrived"),
    DeskAction("board.complete", "c", "status('complete')", "Complete"),
    DeskAction("board.no_show", "n", "status('no_show')", "No-show"),
    DeskAction("board.undo", "u", "undo_status", "Undo status"),
    DeskAction("board.cancel", "x", "cancel_appointment", "Cancel"),
    DeskAction("board.reschedule", "r", "reschedule", "Reschedule"),
    DeskAction("board.prev_day", "left_square_bracket", "day(-1)", "Prev day"),
    DeskAction("board.next_day", "right_square_bracket", "day(1)", "Next day"),
    DeskAction("board.today", "t", "today", "Today"),
    DeskAction("board.go_to", "g", "go_to_date", "Go to date"),
    DeskAction("board.clinic", "k", "switch_clinic", "Clinic"),
    DeskAction("board.back", "escape", "back", "Back"),
    DeskAction("date.go", "enter", "go", "Go"),
    DeskAction("date.cancel", "escape", "cancel", "Back"),
    DeskAction("finder.list", "down", "down", "To the list", show=False),
    DeskAction("finder.take", "enter", "take", "Take"),
    DeskAction("finder.cancel", "escape", "cancel", "Back"),
    DeskAction("offer.book", "enter", "choose", "Book here"),
    DeskAction("offer.cancel", "escape", "cancel", "Leave free"),
    DeskAction("waitform.save", "ctrl+s", "save", "Add"),
    DeskAction("waitform.cancel", "escape", "cancel", "Back"),
    DeskAction("audit.filter", "ctrl+f", "filter", "Filter", priority=True),
    DeskAction("audit.older", "pagedown", "page(1)", "Older", priority=True),
    DeskAction("audit.newer", "pageup", "page(-1)", "Newer", priority=True),
    DeskAction("reason.save", "enter", "save", "Cancel appt"),
    DeskAction("reason.cancel", "escape", "cancel", "Keep it"),
    DeskAction("course.plan", "enter", "plan", "Plan"),
    DeskAction("course.cancel", "escape", "cancel", "Back"),
    DeskAction("review.book", "enter", "book", "Book"),
    DeskAction("review.alternative", "a", "alternative", "Alternative"),
    DeskAction("review.skip", "s", "skip", "Leave out"),
    DeskAction("review.time", "t", "change_time", "Other time"),
    DeskAction("review.cancel", "escape", "cancel", "Back"),
    DeskAction("form.save", "enter", "save", "OK"),
    DeskAction("form.cancel", "escape", "cancel", "Back"),
    DeskAction("danger.back", "escape", "cancel", "Back"),
    DeskAction("danger.left", "left", "focus_previous", "Other button", show=False),
    DeskAction("danger.right", "right", "focus_next", "Other button", show=False),
    DeskAction("expiring.open", "enter", "open", "Open patient"),
    DeskAction("expiring.back", "escape", "back", "Back"),
    DeskAction("reports.show", "enter", "show", "Show"),
    DeskAction("reports.export", "ctrl+e", "export", "Export CSV", priority=True),
    DeskAction("reports.back", "escape", "back", "Back"),
)

SCOPE_TITLES = {
    "app": "Everywhere",
    "login": "Sign in",
    "check": "Arabic check",
    "search": "Patient search",
    "register": "New patient",
    "edit": "Edit a patient",
    "dupes": "Possible duplicates",
    "patient": "Patient",
    "type": "Appointment type",
    "chooser": "Package chooser",
    "pick": "Service, clinic, provider",
    "slots": "Slots",
    "confirm": "Confirm",
    "group": "Group sessions",
    "day": "Day sheet",
    "audit": "Audit log (administrators)",
    "board": "Board",
    "export": "Export the day sheet",
    "calls": "Confirmation calls",
    "date": "Go to date",
    "finder": "Find a patient",
    "offer": "Waitlist offer",
    "waitform": "Add to the waitlist",
    "reason": "Cancel reason",
    "course": "Course of sessions",
    "review": "Course review",
    "form": "Payment and package forms",
    "danger": "Confirm a costly action",
    "expiring": "Expiring packages",
    "reports": "Reports (administrators)",
}


@cache  # asked for every shown key each time a footer is drawn (App.check_action)
def actions_of(scope: str) -> tuple[DeskAction, ...]:
    return tuple(a for a in ACTIONS if a.scope == scope)


def bindings(
    scope: str, *, only: Iterable[str] | None = None, but: Iterable[str] = ()
) -> list[BindingType]:
    """The BINDINGS of a screen (or of the App for scope "app"); the id is what a keymap names.
    only/but: the ids a widget of the screen binds itself (the slot grid's day keys)."""
    kept, left_out = (None if only is None else set(only)), set(but)
    return [
        Binding(a.key, a.action, a.description, show=a.show, priority=a.priority, id=a.id)
        for a in actions_of(scope)
        if (kept is None or a.id in kept) and a.id not in left_out
    ]


def _usable_key(key: str) -> bool:
    parts = [k.strip() for k in key.split(",") if k.strip()]
    return bool(parts) and not any(
        k in MANGLED_KEYS or k.startswith(("alt+", "meta+")) for k in parts
    )


def parse_keymap(text: str) -> tuple[dict[str, str], list[str]]:
    """Parse "id=key;id=key" into a keymap and the list of entries that were refused."""
    known = {a.id for a in ACTIONS}
    keymap: dict[str, str] = {}
    refused: list[str] = []
    for entry in text.replace("\n", ";").split(";"):
        entry = entry.strip()
        if not entry:
            continue
        binding_id, sep, key = (s.strip() for s in entry.partition("="))
        if not sep or binding_id not in known or not _usable_key(key):
            refused.append(entry)
            continue
        keymap[binding_id] = key
    return keymap, refused


def keymap_from_env(env: Mapping[str, str] | None = None) -> tuple[dict[str, str], list[str]]:
    return parse_keymap(Settings.from_env(env=env).keymap)


def key_of(action: DeskAction, keymap: Mapping[str, str]) -> str:
    return keymap.get(action.id, action.key)


# What is printed on the key where Textual's own display (format_key) differs: it shows
# "⏎", "pgup", "esc", "^q"; a keyboard says Enter, PgUp, Esc, Ctrl+Q.
KEY_CAPS = {
    "enter": "Enter",
    "escape": "Esc",
    "pageup": "PgUp",
    "pagedown": "PgDn",
    "backspace": "Backspace",
    "delete": "Del",
    "insert": "Ins",
    "space": "Space",
}


def _key_cap(key: str) -> str:
    *modifiers, name = key.strip().split("+")
    # format_key turns the names of printable keys back into them: left_square_bracket is "[".
    cap = KEY_CAPS.get(name) or format_key(name)
    if len(cap) > 1 or modifiers:
        cap = cap[:1].upper() + cap[1:]  # f1 → F1, home → Home, ctrl+q → Ctrl+Q
    return "+".join([*(m.capitalize() for m in modifiers), cap])


def key_display(key: str) -> str:
    """A binding's key string as the keyboard prints it: "left,left_square_bracket" → "←/[",
    "ctrl+q" → "Ctrl+Q". The one display of keys: footer, help and palette all use it."""
    return "/".join(_key_cap(k) for k in key.split(",") if k.strip())


def display_of(binding_id: str | None, key: str, keymap: Mapping[str, str]) -> str:
    """The keys of a registry action (every key of it, after the keymap) as shown; a binding
    the registry does not know (Textual's own, a widget's) shows its own key."""
    action = next((a for a in ACTIONS if a.id == binding_id), None)
    return key_display(key if action is None else key_of(action, keymap))


def describe_keys(scopes: Iterable[str], keymap: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """(scope title, key, description) rows for the help screen, in registry order."""
    wanted = list(scopes)
    return [
        (SCOPE_TITLES.get(a.scope, a.scope), key_display(key_of(a, keymap)), a.description)
        for scope in wanted
        for a in actions_of(scope)
    ]


def check_defaults() -> list[str]:
    """Ids whose default key is one terminals mangle (kept empty by a test)."""
    return [a.id for a in ACTIONS if not _usable_key(a.key)]
