"""The package chooser: the patient's purchases (Assigned) beside the catalog (Available).

Returns the chosen purchase. "Assign & use" on a catalog card sells it to the patient once a
question naming the package, its price, sessions and expiry is answered (its default button is
"Back": one Enter too many sells nothing), and returns the new purchase. Unusable purchases
are shown greyed with their reason and cannot take the focus, so they cannot be chosen.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from functools import partial

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

from deskbook.errors import DeskError
from deskbook.results import CatalogPackage, PackageChoice, PatientSummary, PurchaseView
from deskbook.tui.actions import bindings
from deskbook.tui.screens.base import DeskModal
from deskbook.tui.screens.pickers import DangerConfirm
from deskbook.tui.widgets.desk_footer import DeskFooter
from deskbook.tui.widgets.money import money
from deskbook.tui.widgets.package_card import CatalogCard, PurchaseCard

MAX_CARDS = 60


class PackageChooser(DeskModal[PurchaseView | None]):
    SCOPE = "chooser"
    BINDINGS = bindings("chooser")

    def __init__(self, patient: PatientSummary) -> None:
        super().__init__()
        self.patient = patient
        self.assigning = False
        self.course = False  # the purchase was chosen to book a course of it ("c")

    def compose(self) -> ComposeResult:
        with Vertical(id="chooser", classes="dialog"):
            yield Static(f"Packages for {self.patient.name_en}", classes="title", markup=False)
            with Horizontal(id="panes"):
                with Vertical(classes="pane"):
                    yield Static("Assigned", classes="pane-title")
                    yield VerticalScroll(Static("Loading…", classes="hint"), id="assigned")
                with Vertical(classes="pane"):
                    yield Static("Available", classes="pane-title")
                    yield VerticalScroll(Static("Loading…", classes="hint"), id="available")
        yield DeskFooter()

    def on_mount(self) -> None:
        self.read(
            "packages", partial(self.session.packages_for_patient, self.patient.id), self.show
        )

    def show(self, choice: PackageChoice) -> None:
        assigned = self.query_one("#assigned", VerticalScroll)
        available = self.query_one("#available", VerticalScroll)
        assigned.remove_children()
        available.remove_children()
        purchases = choice.assigned[:MAX_CARDS]
        catalog = choice.available[:MAX_CARDS]
        assigned.mount_all(
            [PurchaseCard(p, self.session.staff.currency) for p in purchases]
            or [Static("No packages yet — assign one →", classes="hint")]
        )
        available.mount_all(
            [CatalogCard(p) for p in catalog] or [Static("The catalog is empty.", classes="hint")]
        )
        self.call_after_refresh(self._focus_first)

    def _focus_first(self) -> None:
        cards = self._cards("#assigned") or self._cards("#available")
        if cards:
            cards[0].focus()

    def _cards(self, pane: str) -> list[Widget]:
        return [c for c in self.query_one(pane).children if c.focusable]

    def _pane_of_focus(self) -> str:
        focused = self.focused
        return "#available" if isinstance(focused, CatalogCard) else "#assigned"

    def key_up(self) -> None:
        self._move(-1)

    def key_down(self) -> None:
        self._move(1)

    def _move(self, delta: int) -> None:
        cards = self._cards(self._pane_of_focus())
        if not cards:
            return
        index = cards.index(self.focused) if self.focused in cards else -delta
        target = cards[max(0, min(len(cards) - 1, index + delta))]
        target.focus()
        target.scroll_visible(animate=False)

    def action_switch_pane(self) -> None:
        other = "#assigned" if self._pane_of_focus() == "#available" else "#available"
        cards = self._cards(other)
        if cards:
            cards[0].focus()
        elif other == "#assigned":
            self.notify("No usable package assigned to this patient.", severity="warning")

    def action_use(self) -> None:
        focused = self.focused
        if isinstance(focused, PurchaseCard):
            self.dismiss(focused.purchase)
        elif isinstance(focused, CatalogCard):
            self.action_assign()

    def action_course(self) -> None:
        focused = self.focused
        if not isinstance(focused, PurchaseCard):
            self.notify("Choose an assigned package to book a course of it.", severity="warning")
            return
        self.course = True
        self.dismiss(focused.purchase)

    def action_assign(self) -> None:
        focused = self.focused
        if not isinstance(focused, CatalogCard):
            self.notify("Choose a package under Available to assign it.", severity="warning")
            return
        if self.assigning:
            return
        package = focused.package
        self.assigning = True
        self.app.push_screen(
            DangerConfirm(f"Sell {package.name_en}?", self._sale_lines(package), "Assign"),
            partial(self._sell, package),
        )

    def _sale_lines(self, package: CatalogPackage) -> list[str]:
        expires = datetime.now(UTC).astimezone(self.tz).date() + timedelta(
            days=package.validity_days
        )
        sessions = ", ".join(f"{s.name_en} ×{s.sessions}" for s in package.services)
        return [
            f"Patient   {self.patient.name_en}",
            f"Package   {package.name_en}",
            f"Price     {money(package.price, package.currency)}",
            f"Sessions  {package.total_sessions} ({sessions})",
            f"Expires   {expires:%a %d %b %Y} ({package.validity_days} days)",
        ]

    def _sell(self, package: CatalogPackage, yes: bool | None) -> None:
        if not yes:
            self.assigning = False
            return
        self.write(
            "assign",
            # One request id per sale: a re-send after an outage sells the package once.
            partial(self.session.assign_package, self.patient.id, package.id, uuid.uuid4()),
            self.assigned,
            self.not_assigned,
            resend=True,
        )

    def assigned(self, purchase: PurchaseView) -> None:
        self.assigning = False
        self.notify(f"Assigned {purchase.name_en} (expires {purchase.expiry_date})")
        self.dismiss(purchase)

    def not_assigned(self, error: DeskError) -> None:
        self.assigning = False
        self.notify(str(error), severity="error")

    def on_click(self, event: events.Click) -> None:
        # A click focuses a card; a double click uses it, like Enter.
        if event.chain >= 2:
            self.action_use()

    def action_cancel(self) -> None:
        self.dismiss(None)
