"""The desk's F-keys: help, search, day sheet, board and the lists, as actions of the App
(split from deskbook.tui.app, which holds the rest of the App)."""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.screen import Screen


def scope_of(screen: Screen[object]) -> str:
    """The action scope of a screen: "" for one that is not the desk's own (the help)."""
    from deskbook.tui.screens.base import DeskScreen

    return screen.SCOPE if isinstance(screen, DeskScreen) else ""


def holds_writes(screen: Screen[Any]) -> bool:
    from deskbook.tui.screens.base import DeskScreen

    return isinstance(screen, DeskScreen) and screen.holds_writes()


class Navigation(App[None]):
    """The F-key actions; DeskApp is one."""

    keymap: dict[str, str]

    def action_help(self) -> None:
        from deskbook.tui.screens.help import HelpScreen

        # F1 is bound with priority (it works in dialogs too), so it closes the help as well.
        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
        else:
            self.push_screen(HelpScreen(scope_of(self.screen), self.keymap))

    async def action_search(self) -> None:
        from deskbook.tui.screens.search import SearchScreen

        while len(self.screen_stack) > 2 and not isinstance(self.screen, SearchScreen):
            if holds_writes(self.screen):
                # Closing it would lose a write on its way or waiting out an outage.
                self.push_screen(SearchScreen())
                return
            await self.pop_screen()
        if isinstance(self.screen, SearchScreen):
            self.screen.focus_search()

    async def action_day_sheet(self) -> None:
        from deskbook.tui.screens.daysheet import DaySheetScreen

        if not await self._back_to(DaySheetScreen):
            self.push_screen(DaySheetScreen())

    async def action_board(self) -> None:
        from deskbook.tui.screens.board import BoardScreen

        if not await self._back_to(BoardScreen):
            self.push_screen(BoardScreen())

    async def _back_to(self, kind: type[Screen[Any]]) -> bool:
        """Back to the screen of that kind already open when only the day's views (board, day
        sheet, a patient) are above it, closing them: F3 / F5 in turn for an hour stacked a new
        day sheet and board each time, each holding its rows and polling for changes. A form
        or a dialog above it is never closed this way (what was typed would be lost), nor a view
        with a write on its way or waiting out an outage (the write would be lost)."""
        from deskbook.tui.screens.board import BoardScreen
        from deskbook.tui.screens.daysheet import DaySheetScreen
        from deskbook.tui.screens.patient import PatientScreen

        views = (BoardScreen, DaySheetScreen, PatientScreen)
        stack = self.screen_stack
        at = next((n for n in range(len(stack) - 1, -1, -1) if isinstance(stack[n], kind)), None)
        above = stack[at + 1 :] if at is not None else []
        if at is None or not all(isinstance(s, views) and not holds_writes(s) for s in above):
            return False
        while self.screen is not stack[at]:
            await self.pop_screen()
        return True

    def action_audit(self) -> None:
        from deskbook.tui.screens.audit import AuditScreen

        if not isinstance(self.screen, AuditScreen):
            self.push_screen(AuditScreen())

    def action_expiring(self) -> None:
        from deskbook.tui.screens.expiring import ExpiringScreen

        if not isinstance(self.screen, ExpiringScreen):
            self.push_screen(ExpiringScreen())

    def action_reports(self) -> None:
        from deskbook.tui.screens.reports import ReportsScreen

        if not isinstance(self.screen, ReportsScreen):
            self.push_screen(ReportsScreen())

    def action_logins(self) -> None:
        from deskbook.tui.screens.logins import LoginsScreen

        if not isinstance(self.screen, LoginsScreen):
            self.push_screen(LoginsScreen())
