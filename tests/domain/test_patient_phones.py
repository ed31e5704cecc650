"""Phones as callers give them (E.164 stored, national format shown, any 4+ digits found) and
MRNs typed short, on both engines."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from deskbook.db.engine import read_session
from deskbook.db.models import Patient, PatientPhoneKey
from deskbook.errors import InvalidInput
from deskbook.testing.small_clinic import World


def test_a_phone_is_stored_in_e164_and_shown_in_the_national_format(world: World) -> None:
    d = world.login()
    p = d.register_patient("Huda Phone", "050-543 5510", date(2019, 4, 23))
    assert p.phone == "050 543 5510"
    assert p.phone_e164 == "+966505435510"
    assert not p.phone_flagged
    with read_session(world.desk.engine) as s:
        row = s.get(Patient, p.id)
        assert row is not None and (row.phone, row.phone_norm) == ("+966505435510", "505435510")
        keys = set(
            s.scalars(select(PatientPhoneKey.digits).where(PatientPhoneKey.patient_id == p.id))
        )
    assert keys == {"505435510", "05435510", "5435510", "435510", "35510", "5510"}
    foreign = d.register_patient("Omar Abroad", "+20 10 1234 5678", None)
    assert (foreign.phone, foreign.phone_e164) == ("+20 10 12345678", "+201012345678")


@pytest.mark.parametrize(
    "typed",
    [
        "5510",  # the number ending 5510
        "35510",
        "4355",  # the middle
        "543 5510",
        "543-5510",
        "0505",  # the start, with the trunk 0
        "0505435510",
        "050 543 5510",
        "+966505435510",
        "+966 50 543 5510",
        "00966505435510",
        "966505435510",
        "٥٥١٠",  # Arabic-Indic digits
    ],
)
def test_any_four_or_more_digits_find_the_patient(world: World, typed: str) -> None:
    d = world.login()
    p = d.register_patient("Layla Digits", "0505435510", None)
    other = d.register_patient("Sami Other", "0551112222", None)
    found = [x.id for x in d.search_patients(typed)]
    assert p.id in found
    assert other.id not in found


def test_the_whole_number_ranks_first_and_three_digits_are_not_a_fragment(world: World) -> None:
    d = world.login()
    exact = d.register_patient("Exact One", "0507775510", None)
    ending = d.register_patient("Ending Two", "0551237775", None)
    assert d.search_patients("0507775510")[0].id == exact.id
    # "777" is too short to be looked up anywhere; it is only the start of a number.
    assert ending.id not in [x.id for x in d.search_patients("777")]


def test_a_child_is_found_by_the_guardians_phone(world: World) -> None:
    d = world.login()
    child = d.register_patient(
        "Yousef Child",
        "0501110000",
        date(2020, 1, 2),
        guardian_name="Mona Mother",
        guardian_phone="0559876543",
    )
    assert child.guardian_phone == "055 987 6543"
    assert child.id in [x.id for x in d.search_patients("9876543")]
    assert child.id in [x.id for x in d.search_patients("+966 55 987 6543")]


@pytest.mark.parametrize("bad", ["call me", "12", "0500", "+966 50 543 5510 99999", "=1+2"])
def test_a_phone_that_is_not_one_is_refused_and_nothing_is_written(world: World, bad: str) -> None:
    d = world.login()
    before = world.counts()
    with pytest.raises(InvalidInput, match="phone number"):
        d.register_patient("Bad Phone", bad, None)
    assert world.counts() == before


def test_bare_mrn_digits_and_an_mrn_without_its_prefix_find_the_patient(world: World) -> None:
    d = world.login()
    made = [
        d.register_patient(f"Mrn Person {c}", f"05612300{n:02d}", None) for n, c in enumerate("abc")
    ]
    target = made[-1]
    prefix = target.mrn.rstrip("0123456789")
    number = target.mrn[len(prefix) :]
    for typed in (number.lstrip("0"), number, prefix.lower() + number.lstrip("0"), target.mrn):
        found = d.search_patients(typed)
        assert found and found[0].id == target.id, typed
