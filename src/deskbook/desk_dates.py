"""Dates as the desk types them: 23/04/2019, 23-04-2019, 23.04.2019, 2019-04-23, and a Hijri
date marked with هـ or AH (18/08/1440 هـ, 1440-08-18 AH), converted with `hijridate` (the
Umm al-Qura calendar Saudi Arabia uses). Day first, as in Saudi Arabia: 03/04/2019 is the 3rd
of April. Arabic-Indic digits are read like ASCII ones."""

from __future__ import annotations

import re
from datetime import date

from hijridate import Hijri

from deskbook.errors import InvalidInput
from deskbook.normalize import fold_digits

_HIJRI_MARK = re.compile(r"\s*(?:هـ|ه|AH|A\.H\.)\s*$", re.IGNORECASE)
_DAY_FIRST = re.compile(r"^(\d{1,2})[/\-.](\d{1,2})[/\-.](\d{4})$")
_YEAR_FIRST = re.compile(r"^(\d{4})[/\-.](\d{1,2})[/\-.](\d{1,2})$")
HOW = "Type the date as 23/04/2019, 2019-04-23 or a Hijri date such as 18/08/1440 هـ."


def _parts(text: str) -> tuple[int, int, int] | None:
    """(year, month, day) of either order, or None."""
    match = _DAY_FIRST.match(text)
    if match:
        day, month, year = (int(g) for g in match.groups())
        return year, month, day
    match = _YEAR_FIRST.match(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
        return year, month, day
    return None


def parse_desk_date(value: object) -> date:
    """The date typed, or InvalidInput saying how to type one."""
    if isinstance(value, date) and not hasattr(value, "hour"):
        return value
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(HOW)
    text = " ".join(fold_digits(value).split())
    hijri = _HIJRI_MARK.search(text) is not None
    parts = _parts(_HIJRI_MARK.sub("", text).replace(" ", ""))
    if parts is None:
        raise InvalidInput(f"'{value.strip()[:40]}' is not a date. {HOW}")
    year, month, day = parts
    if hijri:
        try:
            return Hijri(year, month, day).to_gregorian()
        except (ValueError, OverflowError):
            raise InvalidInput(
                f"'{value.strip()[:40]}' is not a Hijri date the calendar knows "
                "(years 1343 to 1500 AH)."
            ) from None
    try:
        return date(year, month, day)
    except ValueError:
        raise InvalidInput(f"'{value.strip()[:40]}' is not a date: there is no such day.") from None
