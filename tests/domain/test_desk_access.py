"""Opening, logging in, roles, tenants, bad input, and failures that leave no trace."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from deskbook import Desk
from deskbook.errors import (
    DatabaseError,
    InvalidInput,
    LoginFailed,
    NotFound,
    PermissionDenied,
    SlotTaken,
)
from deskbook.testing.clock import at, future_day
from deskbook.testing.small_clinic import PASSWORD, World, build


def test_open_refuses_missing_or_empty_database(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="no deskbook database"):
        Desk.open(f"sqlite:///{tmp_path}/none.db")
    (tmp_path / "empty.db").touch()
    with pytest.raises(DatabaseError, match="deskbook db upgrade"):
        Desk.open(f"sqlite:///{tmp_path}/empty.db")
    with pytest.raises(DatabaseError):
        Desk.open("mysql://x@y/z")


def test_login_and_lockout(world: World) -> None:
    d = world.login()
    assert (d.staff.role, d.staff.tenant_name, d.staff.timezone) == (
        "FRONT_DESK",
        "Al Noor Therapy",
        "Asia/Riyadh",
    )
    with pytest.raises(LoginFailed, match="Wrong username or password"):
        world.desk.login("nobody", PASSWORD)
    for _ in range(4):
        with pytest.raises(LoginFailed, match="Wrong"):
            world.desk.login(f"{world.prefix}frontdesk", "bad")
    with pytest.raises(LoginFailed, match="Wrong"):
        world.desk.login(f"{world.prefix}frontdesk", "bad")
    with pytest.raises(LoginFailed, match="Wrong"):  # locked: the right password waits too
        world.desk.login(f"{world.prefix}frontdesk", PASSWORD)
    actions = [e.action for e in world.login("admin").audit_log(10)]
    assert actions.count("login_failed") == 4 and "login_locked" in actions


def test_roles(world: World) -> None:
    day = future_day()
    desk, provider = world.login(), world.login("provider")
    patient = world.patient()
    mine = desk.book(patient, world.slp, world.amal, at(day, 9))
    desk.book(world.patient(), world.slp, world.badr, at(day, 9))
    assert [a.id for a in provider.day_sheet(day)] == [mine.id]
    with pytest.raises(PermissionDenied):
        provider.day_sheet(day, provider_id=world.badr)
    for call in (
        lambda: provider.search_patients("x"),
        lambda: provider.book(patient, world.slp, world.amal, at(day, 11)),
        lambda: provider.cancel(mine.id, ""),
        lambda: provider.register_patient("A", "0501234567", None),
        lambda: desk.schedule_group_session(world.social, world.badr, at(day, 12), 4),
        lambda: desk.audit_log(),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert len(desk.day_sheet(day)) == 2


def test_nothing_crosses_tenants(world: World) -> None:
    other = build(world.url, prefix=f"{world.prefix}b_", name="Other Clinic")
    try:
        d, theirs = world.login(), other.login()
        patient = world.patient("Rashid Mine")
        other.patient("Rashid Theirs")
        purchase = d.assign_package(patient, world.slp10)
        appt = d.book(patient, world.slp, world.amal, at(future_day(), 9))
        assert [p.name_en for p in theirs.search_patients("rashid")] == ["Rashid Theirs"]
        for call in (
            lambda: theirs.get_patient(patient),
            lambda: theirs.packages_for_patient(patient),
            lambda: theirs.appointments_of(patient),
            lambda: theirs.cancel(appt.id, ""),
            lambda: theirs.check_in(appt.id),
            lambda: theirs.free_slots(world.amal, world.slp, future_day()),
            lambda: theirs.assign_package(patient, other.slp10),
            lambda: theirs.assign_package(other.patient(), world.slp10),
            lambda: theirs.clinics_for(purchase_id=purchase.id),
            lambda: theirs.book(
                other.patient(), other.slp, other.amal, at(future_day(), 9), purchase_id=purchase.id
            ),
        ):
            with pytest.raises(NotFound):
                call()
        assert theirs.day_sheet(future_day()) == []
        assert all(
            e.staff_username != f"{world.prefix}frontdesk" for e in other.login("admin").audit_log()
        )
    finally:
        other.desk.close()


def test_register_and_search(world: World) -> None:
    d = world.login()
    p = d.register_patient(
        "  Rashid  Al Harbi ",
        "+966 50 123 4567",
        date(2019, 3, 1),
        name_ar="راشد الحربي",
        sex="m",
        national_id="1234567890",
    )
    assert (p.mrn, p.name_en, p.sex) == ("P0000001", "Rashid Al Harbi", "M")
    assert d.register_patient("Sara", "0551112222", None).mrn == "P0000002"
    assert [x.id for x in d.search_patients("rash")] == [p.id]
    assert [x.id for x in d.search_patients("راشد")] == [p.id]
    assert [x.id for x in d.search_patients("0501234567")] == [p.id]
    assert d.get_patient(str(p.id)).age is not None
    events = [(e.action, e.staff_username) for e in world.login("admin").audit_log(10)]
    assert events.count(("register_patient", f"{world.prefix}frontdesk")) == 2


def test_new_patients_continue_the_tenant_s_mrn_scheme(world: World) -> None:
    d = world.login()
    for mrn in ("MRN0000001", "MRN0000002", "MRN0000041", "P0000007", "X-12"):
        world.patient(mrn=mrn)
    assert d.register_patient("Huda Omar", "0551112222", None).mrn == "MRN0000042"
    assert d.register_patient("Sara Omar", "0551112223", None).mrn == "MRN0000043"
    assert [p.name_en for p in d.search_patients("MRN0000043")] == ["Sara Omar"]


def test_a_tenant_s_own_scheme_whatever_its_width(world: World) -> None:
    d = world.login()
    world.patient()  # the test clinic's MRNs: "<prefix>T00001"
    world.patient()
    assert d.register_patient("Huda Omar", "0551112222", None).mrn == f"{world.prefix}T00003"


def test_find_patients_says_how_many_matched(world: World) -> None:
    d = world.login()
    exact = world.patient("Mohammed Al-Rashid", "محمد الرشيد")
    world.patient("Anas Mohammed Al-Rashid")
    for _ in range(3):
        world.patient("Mohammed Al-Rashidi")
    found = d.find_patients("Mohammed Al-Rashid", limit=2)
    assert (found.total, found.more, len(found.patients)) == (5, False, 2)
    assert found.patients[0].id == exact
    assert [p.id for p in d.search_patients("Mohammed Al-Rashid", limit=1)] == [exact]
    assert d.find_patients("   ").total == 0
    with pytest.raises(InvalidInput):
        d.find_patients("x" * 500)
    with pytest.raises(PermissionDenied):
        world.login("provider").find_patients("rashid")


BAD_REGISTRATIONS = [
    (("", "0501234567", None), "name, in English or in Arabic"),
    (("A", "", None), "phone number is required"),
    (("A", "call me", None), "not a phone number"),
    (("A", "12", None), "check the digits"),
    (("A", "0501234567", date.today() + timedelta(days=5)), "future"),
    (("A", "0501234567", "2019-01-01"), "must be a date"),
    (("A", "0501234567", None, None, "X"), "Sex must be M or F"),
    (("A", "0501234567", None, None, None, "12/34"), "national id"),
    (("A" * 201, "0501234567", None), "too long"),
]


def test_register_refuses_bad_input(world: World) -> None:
    d = world.login()
    before = world.counts()
    for args, message in BAD_REGISTRATIONS:
        with pytest.raises(InvalidInput, match=message):
            d.register_patient(*args)
    assert world.counts() == before


def test_failed_operations_write_nothing(world: World) -> None:
    d = world.login()
    day = future_day()
    patient = world.patient()
    purchase = d.assign_package(patient, world.slp10).id
    taken = d.book(world.patient(), world.slp, world.amal, at(day, 9))
    before = world.counts()
    with pytest.raises(SlotTaken):
        d.book(patient, world.slp, world.amal, at(day, 9), purchase_id=purchase)
    assert world.counts() == before
    world.move_to_day(taken.id, future_day(0))
    d.complete(taken.id)
    before = world.counts()
    with pytest.raises(InvalidInput, match="completed"):
        d.cancel(taken.id, "")
    with pytest.raises(NotFound):
        d.cancel("00000000-0000-0000-0000-000000000000", "")
    with pytest.raises(InvalidInput):
        d.book(patient, world.slp, world.amal, at(day, 10), purchase_id="nope")
    assert world.counts() == before
