"""The banner a screen shows while the database cannot be reached, and the probe that looks
for the server again.

The banner sits in the screen's flow just under the header (docked widgets on one edge would
overlap the header), so it pushes the content down one row instead of hiding any of it.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from textual.widget import Widget
from textual.widgets import Static

from deskbook.errors import DatabaseError, DeskError, PermissionDenied

if TYPE_CHECKING:
    from deskbook.desk import DeskSession

BANNER_ID = "db-banner"
BANNER_TEXT = "Database unreachable — your input is kept; retrying…"


class DbBanner(Static):
    def __init__(self) -> None:
        super().__init__(BANNER_TEXT, id=BANNER_ID)


def show_banner(screen: Widget, shown: bool) -> None:
    """Put the banner on screen, or take it away, whichever matches `shown`."""
    present = list(screen.query(f"#{BANNER_ID}"))
    if shown and not present:
        screen.mount(DbBanner(), before=0)
    elif not shown:
        for banner in present:
            banner.remove()


def database_answers(session: DeskSession) -> bool:
    """One cheap read (runs in a worker thread). Any answer but DatabaseError means the
    server is back: a refusal or a bad input still came from a live database."""
    try:
        try:
            session.search_patients("0", limit=1)
        except PermissionDenied:
            # A provider may not search patients; their own day sheet is as cheap.
            session.day_sheet(date.today())
    except DatabaseError:
        return False
    except DeskError:
        return True
    return True
