"""Cards of the package chooser: a purchase the patient holds, or a package of the catalog.

The progress bar is text (completed █, scheduled ▒, free ░) so it reads the same in 16
colours and with NO_COLOR.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from deskbook.results import CatalogPackage, PurchaseView
from deskbook.tui.widgets.money import balance_text, money


def progress_text(purchase: PurchaseView, width: int = 20) -> str:
    total = max(purchase.total, 1)
    completed, scheduled = purchase.completed, purchase.scheduled
    done_cells = round(width * completed / total)
    booked_cells = min(width - done_cells, round(width * scheduled / total))
    free_cells = width - done_cells - booked_cells
    return "█" * done_cells + "▒" * booked_cells + "░" * free_cells


def _card(title: str, lines: list[str]) -> Text:
    # Text, not markup: a package called "[VIP] 10 sessions" must show as typed.
    return Text.assemble((title, "bold"), *("\n" + line for line in lines))


class PurchaseCard(Static, can_focus=True):
    """A purchase the patient holds. Unusable ones are disabled: greyed, never focused."""

    def __init__(self, purchase: PurchaseView, currency: str = "") -> None:
        self.purchase = purchase
        self.currency = currency
        super().__init__(self._content(), classes="card assigned")
        if not purchase.usable:
            self.add_class("-unusable")
            self.disabled = True

    def _content(self) -> Text:
        p = self.purchase
        lines = [
            f"{p.used}/{p.total} used · {p.remaining} left",
            f"{progress_text(p, 18)} exp {p.expiry_date}",
        ]
        for q in p.services[:3]:
            lines.append(f"  {q.service_name_en} {q.used}/{q.quota}")
        owed = balance_text(p, self.currency)
        if owed:
            lines.append(owed)
        if p.warning:
            lines.append(f"⚠ {p.warning}")
        if not p.usable:
            lines.append(f"✗ {p.reason}")
        return _card(p.name_en, lines)


class CatalogCard(Static, can_focus=True):
    """A package of the catalog; Enter or "a" assigns it to the patient and uses it."""

    def __init__(self, package: CatalogPackage) -> None:
        self.package = package
        super().__init__(self._content(), classes="card available")

    def _content(self) -> Text:
        p = self.package
        lines = [f"{money(p.price, p.currency)} · valid {p.validity_days} days"]
        for s in p.services[:3]:
            lines.append(f"  {s.name_en} ×{s.sessions}")
            lines.append(f"    at {s.clinic_name_en}")
        lines.append("  (a) Assign & use")
        return _card(p.name_en, lines)
