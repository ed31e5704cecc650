"""The branch's day (issue 13), domain half: home clinic, board, paged day sheet, change
polling, waitlist and reminder calls, on both engines."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, select
from typer.testing import CliRunner

from deskbook.cli import app
from deskbook.db.engine import write_session
from deskbook.db.models import AuditEvent, Provider, ProviderTimeOff, Service, Staff
from deskbook.desk import Desk
from deskbook.errors import InvalidInput, NotFound, PermissionDenied
from deskbook.testing.clock import TZ, at, future_day
from deskbook.testing.small_clinic import PASSWORD, World, build

# -- home clinic ----------------------------------------------------------------------------


def test_admin_sets_a_home_clinic_that_the_next_login_carries(world: World) -> None:
    admin, desk = world.login("admin"), world.login()
    assert desk.staff.home_clinic_id is None
    admin.set_home_clinic(f"{world.prefix}frontdesk", world.aba_clinic)
    assert world.login().staff.home_clinic_id == world.aba_clinic
    admin.set_home_clinic(desk.staff.id, None)
    assert world.login().staff.home_clinic_id is None
    admin.set_home_clinic(admin.staff.id, str(world.slp_clinic))
    assert admin.staff.home_clinic_id == world.slp_clinic
    with pytest.raises(PermissionDenied):
        desk.set_home_clinic(desk.staff.id, world.slp_clinic)
    with pytest.raises(NotFound):
        admin.set_home_clinic("nobody-here", world.slp_clinic)
    with pytest.raises(NotFound):
        admin.set_home_clinic(desk.staff.id, uuid.uuid4())
    with write_session(world.desk.engine) as s:
        actions = s.scalars(
            select(AuditEvent.action).where(AuditEvent.tenant_id == world.tenant_id)
        ).all()
    assert actions.count("set_home_clinic") == 3


def test_another_tenants_clinic_or_staff_is_not_found(world: World, module_url: str) -> None:
    other = build(module_url, prefix=f"x{uuid.uuid4().hex[:6]}_")
    try:
        admin = world.login("admin")
        with pytest.raises(NotFound):
            admin.set_home_clinic(f"{world.prefix}frontdesk", other.slp_clinic)
        with pytest.raises(NotFound):
            admin.set_home_clinic(f"{other.prefix}frontdesk", world.slp_clinic)
    finally:
        other.desk.close()


def test_staff_add_with_a_clinic_by_name_or_id(db_url: str) -> None:
    world = build(db_url, name="Home Branch")
    try:
        runner = CliRunner()
        password = "long enough 1\nlong enough 1\n"
        result = runner.invoke(
            app, ["staff", "add", "huda", "--clinic", "aba clinic", "--db", db_url], input=password
        )
        assert result.exit_code == 0, result.output
        result = runner.invoke(
            app, ["staff", "add", "sara", "--clinic", str(world.slp_clinic), "--db", db_url],
            input=password,
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        result = runner.invoke(
            app, ["staff", "add", "omar", "--clinic", "Dental", "--db", db_url], input=password
        )
        assert result.exit_code == 1 and "no clinic called 'Dental'" in result.output
        with write_session(world.desk.engine) as s:
            homes = {u: c for u, c in s.execute(select(Staff.username, Staff.home_clinic_id))}
        assert homes["huda"] == world.aba_clinic and homes["sara"] == world.slp_clinic
        assert "omar" not in homes
        assert world.desk.login("huda", "long enough 1").staff.home_clinic_id == world.aba_clinic
    finally:
        world.desk.close()


# -- the board ------------------------------------------------------------------------------


def _short_service(world: World, minutes: int = 30) -> uuid.UUID:
    """A shorter SLP service, so the clinic's step is finer than an hour."""
    with write_session(world.desk.engine) as s:
        service = Service(
            tenant_id=world.tenant_id,
            clinic_id=world.slp_clinic,
            name_en="SLP Follow-up",
            duration_minutes=minutes,
            price=Decimal("100.00"),
        )
        s.add(service)
    return service.id


def test_board_lays_out_visits_groups_free_and_off(world: World) -> None:
    d, admin = world.login(), world.login("admin")
    day = future_day(4)
    _short_service(world)
    rashid = world.patient("Rashid Saad Al Harbi", "راشد الحربي")
    package = world.purchase(rashid, world.slp10)
    single = d.book(world.patient("Lina Omar"), world.slp, world.amal, at(day, 9))
    series = d.book(rashid, world.slp, world.badr, at(day, 11), purchase_id=package)
    group = admin.schedule_group_session(world.social, world.amal, at(day, 14), capacity=4)
    d.book(world.patient(), world.social, world.amal, at(day, 14), group_session_id=group.id)
    with write_session(world.desk.engine) as s:
        s.add(
            ProviderTimeOff(
                tenant_id=world.tenant_id,
                provider_id=world.badr,
                start_at=at(day, 16).astimezone(UTC),
                end_at=at(day, 18).astimezone(UTC),
            )
        )
    board = d.board(day, world.slp_clinic)
    assert board.step_minutes == 30
    assert board.times[0] == at(day, 8) and board.times[-1] == at(day, 17, 30)
    assert [c.provider_name_en for c in board.columns] == ["Amal", "Badr"]
    amal, badr = board.columns
    row = {t: n for n, t in enumerate(board.times)}
    first, second = amal.cells[row[at(day, 9)]], amal.cells[row[at(day, 9, 30)]]
    assert (first.state, first.continues, second.state, second.continues) == (
        "VISIT",
        False,
        "VISIT",
        True,
    )
    assert first.visit is not None and first.visit.id == single.id
    assert first.visit.patient_short_name == "Lina Omar"
    assert amal.cells[row[at(day, 10)]].state == "FREE"
    visit = badr.cells[row[at(day, 11)]].visit
    assert visit is not None and visit.id == series.id
    assert (visit.patient_short_name, visit.session_number, visit.session_total) == (
        "Rashid Al Harbi",
        1,
        10,
    )
    assert (visit.kind, visit.status, visit.patient_name_ar) == ("PACKAGE", "BOOKED", "راشد الحربي")
    cell = amal.cells[row[at(day, 14)]]
    assert cell.state == "GROUP" and cell.group is not None
    assert (cell.group.taken, cell.group.capacity) == (1, 4)
    assert amal.cells[row[at(day, 14, 30)]].continues
    assert [badr.cells[row[at(day, h)]].state for h in (15, 16, 17)] == ["FREE", "OFF", "OFF"]
    d.cancel(single.id, "called")
    assert d.board(day, world.slp_clinic).columns[0].cells[row[at(day, 9)]].state == "FREE"


def test_board_of_a_day_nobody_works_and_of_a_provider_who_left(world: World) -> None:
    d = world.login()
    day = future_day(5)
    visit = d.book(world.patient(), world.aba, world.chadi, at(day, 9))
    with write_session(world.desk.engine) as s:
        provider = s.get(Provider, world.chadi)
        assert provider is not None
        provider.active = False
    board = d.board(day, world.aba_clinic)
    assert [c.provider_name_en for c in board.columns] == ["Chadi"]
    states = {c.state for c in board.columns[0].cells}
    assert board.times == (at(day, 9),) and states == {"VISIT"}
    assert board.columns[0].cells[0].visit is not None
    assert board.columns[0].cells[0].visit.id == visit.id
    assert d.board(future_day(6), world.aba_clinic).columns == ()
    with pytest.raises(PermissionDenied):
        world.login("provider").board(day, world.aba_clinic)
    with pytest.raises(NotFound):
        d.board(day, uuid.uuid4())


def test_board_reads_a_few_statements_however_full_the_day(world: World) -> None:
    d = world.login()
    day = future_day(6)

    def statements() -> int:
        seen: list[str] = []

        def grab(*args: object) -> None:
            seen.append(str(args[2]))

        event.listen(world.desk.engine, "before_cursor_execute", grab)
        try:
            d.board(day, world.slp_clinic)
        finally:
            event.remove(world.desk.engine, "before_cursor_execute", grab)
        return len([s for s in seen if s.lstrip().upper().startswith("SELECT")])

    empty = statements()
    for hour in range(8, 18):
        d.book(world.patient(), world.slp, world.amal, at(day, hour))
        d.book(world.patient(), world.slp, world.badr, at(day, hour))
    assert statements() == empty <= 10


# -- the day sheet --------------------------------------------------------------------------


def test_day_sheet_pages_in_time_order_with_totals_and_filters(world: World) -> None:
    d = world.login()
    day = future_day(7)
    rashid = world.patient("Rashid Al-Harbi")
    package = world.purchase(rashid, world.slp10)
    booked = [
        d.book(world.patient(f"Patient {n}"), world.slp, world.amal, at(day, 8 + n))
        for n in range(5)
    ]
    booked.append(d.book(rashid, world.slp, world.badr, at(day, 9), purchase_id=package))
    booked.append(d.book(world.patient(), world.aba, world.chadi, at(day, 9)))
    d.cancel(booked[0].id)
    pages = [d.day_sheet_page(day, offset=n, limit=2) for n in range(0, 8, 2)]
    ids = [a.id for p in pages for a in p.rows]
    assert [p.total for p in pages] == [6, 6, 6, 6]
    live = sorted(booked[1:], key=lambda a: (a.start, a.provider_name_en))
    assert ids == [a.id for a in live]
    assert [a.id for a in d.day_sheet(day, limit=2, offset=2)] == ids[2:4]
    assert [a.id for a in d.day_sheet(day, world.aba_clinic)] == [booked[-1].id]
    assert d.day_sheet_page(day, provider_id=world.amal).total == 4
    cancelled = d.day_sheet_page(day, status="cancelled")
    assert [a.id for a in cancelled.rows] == [booked[0].id] and cancelled.total == 1
    assert d.day_sheet_page(day, status=("BOOKED", "CANCELLED")).total == 7
    found = d.day_sheet_page(day, find="al harbi")
    assert [a.id for a in found.rows] == [booked[5].id]
    row = found.rows[0]
    assert row.patient_mrn.endswith(f"T{world.counter[0] - 1:05d}") or row.patient_mrn
    assert row.session_label == "session 1 of 10"
    assert d.day_sheet_page(day, find=row.patient_mrn.lower()).total == 1
    hour = d.day_sheet_page(day, start_from=at(day, 10), start_until=at(day, 11))
    assert [a.start for a in hour.rows] == [at(day, 10)]
    assert (
        d.day_sheet_page(day, offset=50).rows == () and d.day_sheet_page(day, offset=50).total == 6
    )
    with pytest.raises(InvalidInput):
        d.day_sheet(day, status="LATE")
    with pytest.raises(InvalidInput):
        d.day_sheet(day, limit=0)


def test_a_provider_pages_only_their_own_day(world: World) -> None:
    d, provider = world.login(), world.login("provider")
    day = future_day(8)
    mine = d.book(world.patient(), world.slp, world.amal, at(day, 9))
    d.book(world.patient(), world.slp, world.badr, at(day, 9))
    page = provider.day_sheet_page(day)
    assert [a.id for a in page.rows] == [mine.id] and page.total == 1
    with pytest.raises(PermissionDenied):
        provider.day_sheet_page(day, provider_id=world.badr)


# -- live refresh ---------------------------------------------------------------------------


def test_a_write_on_one_desk_shows_in_the_others_poll(world: World) -> None:
    other = Desk.open(world.url)
    try:
        a = world.login()
        b = other.login(f"{world.prefix}frontdesk", PASSWORD)
        token, changed = b.changes_since(None)
        assert changed
        assert b.changes_since(token) == (token, False)
        visit = a.book(world.patient(), world.slp, world.amal, at(future_day(), 9))
        token2, changed = b.changes_since(token)
        assert changed and token2 > token
        assert b.changes_since(token2) == (token2, False)
        with pytest.raises(InvalidInput):
            a.cancel(visit.id, "x" * 5000)  # refused: nothing written, nothing to see
        assert b.changes_since(token2) == (token2, False)
        a.cancel(visit.id)
        assert b.changes_since(token2)[1]
    finally:
        other.close()


def test_another_tenants_writes_do_not_wake_a_desk(world: World, module_url: str) -> None:
    other = build(module_url, prefix=f"y{uuid.uuid4().hex[:6]}_")
    try:
        mine = world.login()
        token, _ = mine.changes_since(None)
        theirs = other.login()
        theirs.book(other.patient(), other.slp, other.amal, at(future_day(), 9))
        assert mine.changes_since(token) == (token, False)
    finally:
        other.desk.close()


# -- waitlist -------------------------------------------------------------------------------


def test_cancelling_a_visit_shows_who_waits_for_the_slot(world: World) -> None:
    d = world.login()
    day = future_day(9)
    weekday = day.weekday()
    visit = d.book(world.patient(), world.slp, world.amal, at(day, 10))
    first = world.patient("First Waiting")
    entry = d.waitlist_add(first, world.slp, provider_id=world.amal, weekdays=[weekday])
    d.waitlist_add(world.patient("Afternoon Only"), world.slp, earliest=time(14), latest=time(16))
    d.waitlist_add(world.patient("Other Days"), world.slp, weekdays=[(weekday + 1) % 7])
    d.waitlist_add(world.patient("Wants Badr"), world.slp, provider_id=world.badr)
    d.waitlist_add(world.patient("Wants ABA"), world.aba)
    busy = world.patient("Busy Then")
    d.book(busy, world.aba, world.chadi, at(day, 10))
    d.waitlist_add(busy, world.slp)
    any_time = d.waitlist_add(world.patient("Any Time"), world.slp, world.slp_clinic, note="call")
    assert d.waitlist_matches(world.amal, at(day, 10)) == []  # the slot is still held
    d.cancel(visit.id, "sick")
    matches = d.waitlist_matches(visit.provider_id, visit.start)
    assert [m.id for m in matches] == [entry.id, any_time.id]
    assert matches[0].weekdays == (weekday,) and matches[0].patient_name_en == "First Waiting"
    assert [m.service_id for m in d.waitlist(service_id=world.aba)] == [world.aba]
    assert len(d.waitlist(clinic_id=world.slp_clinic)) == 6
    with pytest.raises(InvalidInput, match="already waiting"):
        d.waitlist_add(first, world.slp)
    d.waitlist_remove(entry.id)
    assert [m.id for m in d.waitlist_matches(world.amal, at(day, 10))] == [any_time.id]
    with pytest.raises(NotFound):
        d.waitlist_remove(entry.id)


def test_waitlist_refuses_what_cannot_be_kept(world: World) -> None:
    d, provider = world.login(), world.login("provider")
    p = world.patient()
    before = world.counts()
    with pytest.raises(InvalidInput, match="not given at that clinic"):
        d.waitlist_add(p, world.slp, clinic_id=world.aba_clinic)
    with pytest.raises(InvalidInput, match="does not provide"):
        d.waitlist_add(p, world.slp, provider_id=world.chadi)
    with pytest.raises(InvalidInput, match="earliest"):
        d.waitlist_add(p, world.slp, earliest=time(16), latest=time(9))
    with pytest.raises(InvalidInput, match="weekday"):
        d.waitlist_add(p, world.slp, weekdays=["Funday"])
    with pytest.raises(InvalidInput, match="time of day"):
        d.waitlist_add(p, world.slp, earliest=datetime.now(UTC))  # type: ignore[arg-type]
    with pytest.raises(PermissionDenied):
        provider.waitlist_add(p, world.slp)
    assert world.counts() == before
    assert d.waitlist_add(p, world.slp, weekdays=("SUN", "tue", 2)).weekdays == (1, 2, 6)


# -- reminder calls -------------------------------------------------------------------------


def test_to_call_lists_booked_visits_with_phones_until_confirmed(world: World) -> None:
    d = world.login()
    day = future_day(1)
    a = d.book(world.patient(), world.slp, world.amal, at(day, 9))
    b = d.book(world.patient(), world.aba, world.chadi, at(day, 9))
    c = d.book(world.patient(), world.slp, world.badr, at(day, 11))
    d.cancel(c.id)
    calls = d.to_call(day)
    assert {x.appointment.id for x in calls} == {a.id, b.id}
    assert all(x.phone.startswith("05") for x in calls)
    confirmed = d.confirm(a.id)
    assert confirmed.status == "CONFIRMED"
    assert d.confirm(a.id).status == "CONFIRMED"
    assert [x.appointment.id for x in d.to_call(day)] == [b.id]
    assert d.to_call(day, world.slp_clinic) == []
    with pytest.raises(InvalidInput, match="cancelled"):
        d.confirm(c.id)
    world.move_to_day(a.id, future_day(0))  # its day has come
    d.check_in(a.id)  # a confirmed visit still checks in
    assert {x.status for x in d.day_sheet(future_day(0))} == {"ARRIVED"}


def test_a_visit_past_midnight_tomorrow_is_not_today(world: World) -> None:
    d = world.login()
    day = future_day(2)
    d.book(world.patient(), world.slp, world.amal, at(day, 8))
    tomorrow = datetime.combine(day, time(0), tzinfo=TZ) + timedelta(days=1)
    assert d.to_call(tomorrow.date()) == []
