"""Cards of the package chooser: a purchase the patient holds, or a package of the catalog.

The progress bar is text (completed █, scheduled ▒, free ░) so it reads the same in 16
colours and with NO_COLOR.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Static


def _int(obj: Any, name: str) -> int:
    value = getattr(obj, name, 0)
    return int(value or 0)


def progress_text(purchase: Any, width: int = 20) -> str:
    total = max(_int(purchase, "total"), 1)
    completed = _int(purchase, "completed")
    scheduled = _int(purchase, "scheduled")
    if not completed and not scheduled:
        completed = min(_int(purchase, "used"), total)
    done_cells = round(width * completed / total)
    booked_cells = min(width - done_cells, round(width * scheduled / total))
    free_cells = width - done_cells - booked_cells
    return "█" * done_cells + "▒" * booked_cells + "░" * free_cells


def _money(amount: Any, currency: str | None) -> str:
    try:
        text = f"{float(amount):,.2f}"
    except (TypeError, ValueError):
        text = str(amount)
    return f"{currency} {text}" if currency else text


def _service_name(q: Any) -> str:
    return str(
        getattr(q, "service_name", None)
        or getattr(q, "name_en", None)
        or getattr(q, "service_name_en", None)
        or "service"
    )


def _card(title: str, lines: list[str]) -> Text:
    # Text, not markup: a package called "[VIP] 10 sessions" must show as typed.
    return Text.assemble((title, "bold"), *("\n" + line for line in lines))


class PurchaseCard(Static, can_focus=True):
    """A purchase the patient holds. Unusable ones are disabled: greyed, never focused."""

    def __init__(self, purchase: Any) -> None:
        self.purchase = purchase
        super().__init__(self._content(), classes="card assigned")
        if not purchase.usable:
            self.add_class("-unusable")
            self.disabled = True

    def _content(self) -> Text:
        p = self.purchase
        lines = [
            f"{_int(p, 'used')}/{_int(p, 'total')} used · {_int(p, 'remaining')} left",
            f"{progress_text(p, 18)} exp {p.expiry_date}",
        ]
        for q in getattr(p, "services", ())[:3]:
            lines.append(f"  {_service_name(q)} {_int(q, 'used')}/{_int(q, 'quota')}")
        if not p.usable:
            lines.append(f"✗ {p.reason}")
        return _card(p.name_en, lines)


class CatalogCard(Static, can_focus=True):
    """A package of the catalog; Enter or "a" assigns it to the patient and uses it."""

    def __init__(self, package: Any, currency: str | None = None) -> None:
        self.package = package
        super().__init__(self._content(currency), classes="card available")

    def _content(self, currency: str | None) -> Text:
        p = self.package
        lines = [
            f"{_money(p.price, currency)} · valid {p.validity_days} days",
        ]
        for s in getattr(p, "services", ())[:3]:
            lines.append(f"  {_service_name(s)} ×{_int(s, 'sessions')}")
            clinic = getattr(s, "clinic_name_en", None) or getattr(s, "clinic_name", None)
            if clinic:
                lines.append(f"    at {clinic}")
        lines.append("  (a) Assign & use")
        return _card(p.name_en, lines)
