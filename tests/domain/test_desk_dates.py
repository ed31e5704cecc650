"""Dates as the desk types them (deskbook.desk_dates): pure, no database."""

from __future__ import annotations

from datetime import date

import pytest

from deskbook.desk_dates import parse_desk_date
from deskbook.errors import InvalidInput


@pytest.mark.parametrize(
    "typed",
    [
        "23/04/2019",
        "23-04-2019",
        "23.04.2019",
        "2019-04-23",
        "2019/4/23",
        " 23/4/2019 ",
        "٢٣/٠٤/٢٠١٩",
        "18/08/1440 هـ",
        "18/8/1440هـ",
        "1440-08-18 AH",
        "18-08-1440 ah",
        "١٨/٠٨/١٤٤٠ هـ",
        date(2019, 4, 23),
    ],
)
def test_every_way_the_desk_types_a_date(typed: object) -> None:
    assert parse_desk_date(typed) == date(2019, 4, 23)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Type the date as"),
        ("tomorrow", "is not a date"),
        ("31/02/2019", "no such day"),
        ("2019-13-40", "no such day"),
        ("04/23/2019", "no such day"),  # month first is not how the desk writes it
        ("30/13/1440 هـ", "not a Hijri date"),
        ("1/1/1200 AH", "not a Hijri date"),
        ("23/04/19", "is not a date"),
        (None, "Type the date as"),
    ],
)
def test_what_is_not_a_date_is_refused_with_how_to_type_one(typed: object, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_desk_date(typed)
