"""Security: memory-hard password hashes checked in constant time, lockout after repeated
failures, an audit event with who, when, before and after for every write, and a `deskbook`
that never shows a database password."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.engine import make_url

from deskbook import Desk
from deskbook import desk as desk_module
from deskbook.db.engine import make_engine, safe_url, write_session
from deskbook.db.models import AuditEvent, Staff, Tenant
from deskbook.errors import DatabaseError, InvalidInput, LoginFailed, NotFound, PermissionDenied
from deskbook.passwords import hash_password, verify_password
from deskbook.testing.clock import future_day
from deskbook.testing.soak_seed import PASSWORD, SeedInfo, seed_clinic

SECRET = "Sup3r-Secret-pw"


@pytest.fixture
def clinic(db_url: str) -> tuple[str, SeedInfo]:
    return db_url, seed_clinic(db_url, patients=12, desks=3)


def _staff(url: str, username: str) -> Staff:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            row = conn.execute(select(Staff).where(Staff.username == username)).one()
            return Staff(**row._mapping)
    finally:
        engine.dispose()


# --- passwords ------------------------------------------------------------------------------


def test_passwords_are_stored_as_argon2id_hashes_with_their_own_salt(
    clinic: tuple[str, SeedInfo],
) -> None:
    url, seed = clinic
    stored = _staff(url, seed.desk_usernames[0]).password_hash
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    # Memory-hard: the parameters ask for real memory, not a fast hash.
    params = dict(p.split("=") for p in stored.split("$")[3].split(","))
    assert int(params["m"]) >= 19 * 1024
    first, second = hash_password("same password"), hash_password("same password")
    assert first != second  # salted
    assert verify_password(first, "same password") and verify_password(second, "same password")
    assert not verify_password(first, "same passwore")
    assert not verify_password("not a hash", "same password")
    assert not verify_password(None, "deskbook-no-such-user")


def test_unknown_user_and_wrong_password_cost_the_same_and_read_the_same(
    clinic: tuple[str, SeedInfo], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Constant time, checked by what runs rather than by a stopwatch: an unknown username
    still pays for one full argon2 verification, and both failures say the same words."""
    url, seed = clinic
    checks: list[str | None] = []

    def counting_verify(password_hash: str | None, password: str) -> bool:
        checks.append(password_hash)
        return verify_password(password_hash, password)

    monkeypatch.setattr(desk_module, "verify_password", counting_verify)
    with Desk.open(url) as desk:
        with pytest.raises(LoginFailed) as unknown:
            desk.login("nobody-here", "whatever")
        with pytest.raises(LoginFailed) as wrong:
            desk.login(seed.desk_usernames[0], "whatever")
    assert len(checks) == 2
    assert checks[0] is None and checks[1] is not None
    assert str(unknown.value) == str(wrong.value)


# --- lockout --------------------------------------------------------------------------------


def _actions(url: str, staff_id: Any) -> list[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return list(
                conn.execute(
                    select(AuditEvent.action)
                    .where(AuditEvent.entity_id == staff_id)
                    .order_by(AuditEvent.at)
                ).scalars()
            )
    finally:
        engine.dispose()


def test_repeated_wrong_passwords_lock_the_login_and_only_that_login(
    clinic: tuple[str, SeedInfo],
) -> None:
    url, seed = clinic
    victim, bystander = seed.desk_usernames[0], seed.desk_usernames[1]
    limit = desk_module.MAX_FAILED_LOGINS
    with Desk.open(url) as desk:
        for _ in range(limit):
            with pytest.raises(LoginFailed):
                desk.login(victim, "guess")
        # Now even the right password is refused, for a while, in the same words as any
        # other failure.
        with pytest.raises(LoginFailed) as refused:
            desk.login(victim, PASSWORD)
        assert str(refused.value) == LoginFailed.default_message
        assert _staff(url, victim).failed_logins == limit
        assert desk.login(bystander, PASSWORD).staff.username == bystander

        # When the lock runs out the right password works again and the count starts over.
        engine = make_engine(url)
        with write_session(engine) as session:
            session.execute(
                update(Staff)
                .where(Staff.username == victim)
                .values(locked_until=datetime.now(UTC) - timedelta(seconds=1))
            )
        engine.dispose()
        assert desk.login(victim, PASSWORD).staff.username == victim
        staff = _staff(url, victim)
        assert staff.failed_logins == 0
        with pytest.raises(LoginFailed):
            desk.login(victim, "guess")
        assert _staff(url, victim).failed_logins == 1

    seen = _actions(url, staff.id)
    assert seen.count("login_locked") == 1
    assert seen.count("login_refused") == 1
    # limit - 1 before the lock, and the one after it ran out.
    assert seen.count("login_failed") == limit


def test_guessing_from_many_desks_at_once_still_locks(clinic: tuple[str, SeedInfo]) -> None:
    url, seed = clinic
    victim = seed.desk_usernames[2]
    attempts = 12
    barrier = threading.Barrier(attempts)
    outcomes: list[str] = []

    with Desk.open(url) as desk:

        def guess() -> None:
            barrier.wait()
            try:
                desk.login(victim, "guess")
                outcomes.append("IN")
            except LoginFailed as exc:
                outcomes.append(str(exc))
            except Exception as exc:  # a Busy is fine too; anything else is not
                outcomes.append(type(exc).__name__)

        threads = [threading.Thread(target=guess) for _ in range(attempts)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert "IN" not in outcomes
        assert all("Error" not in o or o == "Busy" for o in outcomes), outcomes
        with pytest.raises(LoginFailed):
            desk.login(victim, PASSWORD)
        assert _staff(url, victim).failed_logins == desk_module.MAX_FAILED_LOGINS


def test_guesses_released_together_get_at_most_five_password_checks(
    clinic: tuple[str, SeedInfo], monkeypatch: pytest.MonkeyPatch
) -> None:
    """20 wrong passwords and the right one at once: at most five wrong ones are checked
    against the real hash; the rest are refused before hashing (a dummy check keeps their time
    the same). The right one logs in only if it got a turn (then it gives its turn back)."""
    url, seed = clinic
    victim = seed.desk_usernames[1]
    limit = desk_module.MAX_FAILED_LOGINS
    guesses = [f"wrong-{n}" for n in range(20)] + [PASSWORD]
    barrier = threading.Barrier(len(guesses))
    checks: list[tuple[str | None, str, bool]] = []
    outcomes: dict[str, str] = {}
    lock = threading.Lock()

    def counting_verify(password_hash: str | None, password: str) -> bool:
        ok = verify_password(password_hash, password)
        with lock:
            checks.append((password_hash, password, ok))
        return ok

    monkeypatch.setattr(desk_module, "verify_password", counting_verify)
    with Desk.open(url) as desk:

        def guess(password: str) -> None:
            barrier.wait()
            try:
                desk.login(victim, password)
                outcomes[password] = "IN"
            except LoginFailed as exc:
                outcomes[password] = str(exc)
            except Exception as exc:
                outcomes[password] = type(exc).__name__

        threads = [threading.Thread(target=guess, args=(g,)) for g in guesses]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)

    assert len(outcomes) == len(guesses)
    assert set(outcomes.values()) <= {"IN", LoginFailed.default_message}, outcomes
    real = [c for c in checks if c[0] is not None]
    wrong = [c for c in real if not c[2]]
    assert len(wrong) <= limit, f"{len(wrong)} wrong guesses were checked against the real hash"
    assert len(checks) == len(guesses)  # the refused ones still pay for a (dummy) check
    logged_in = [p for p, o in outcomes.items() if o == "IN"]
    assert logged_in in ([], [PASSWORD])
    if logged_in:
        assert any(c[1] == PASSWORD and c[2] for c in real)
    else:
        with pytest.raises(LoginFailed), Desk.open(url) as desk:
            desk.login(victim, PASSWORD)
    seen = _actions(url, _staff(url, victim).id)
    failed = [a for a in seen if a in ("login_failed", "login_locked")]
    assert len(failed) <= limit, seen


def _lock(url: str, username: str, **values: Any) -> None:
    engine = make_engine(url)
    try:
        with write_session(engine) as session:
            session.execute(update(Staff).where(Staff.username == username).values(**values))
    finally:
        engine.dispose()


def test_unknown_locked_inactive_and_wrong_read_the_same_and_do_the_same_work(
    clinic: tuple[str, SeedInfo], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Which usernames exist, and which are locked, shows neither in the words nor in the
    work done (checked by what runs rather than by a stopwatch): each failure pays for one
    Argon2 verification and two write transactions."""
    url, seed = clinic
    locked, wrong, inactive = seed.desk_usernames
    _lock(
        url,
        locked,
        failed_logins=desk_module.MAX_FAILED_LOGINS,
        locked_until=datetime.now(UTC) + timedelta(minutes=10),
    )
    _lock(url, inactive, active=False)
    verified: list[int] = []
    writes: list[int] = []

    def counting_verify(password_hash: str | None, password: str) -> bool:
        verified[-1] += 1
        return verify_password(password_hash, password)

    real_run_write = desk_module.db.run_write

    def counting_write(*args: Any, **kwargs: Any) -> Any:
        writes[-1] += 1
        return real_run_write(*args, **kwargs)

    monkeypatch.setattr(desk_module, "verify_password", counting_verify)
    monkeypatch.setattr(desk_module.db, "run_write", counting_write)
    answers = {}
    with Desk.open(url) as desk:
        for case, username, password in [
            ("unknown", "nobody-here", "whatever1"),
            ("locked", locked, PASSWORD),
            ("wrong password", wrong, "whatever1"),
            ("inactive", inactive, PASSWORD),
        ]:
            verified.append(0)
            writes.append(0)
            with pytest.raises(LoginFailed) as caught:
                desk.login(username, password)
            answers[case] = (str(caught.value), verified[-1], writes[-1])
    assert set(answers.values()) == {(LoginFailed.default_message, 1, 2)}, answers


def _other_tenant_login(url: str) -> str:
    engine = make_engine(url)
    try:
        with write_session(engine) as session:
            tenant = Tenant(name="Other Clinic Group")
            session.add(tenant)
            session.flush()
            session.add(
                Staff(
                    tenant_id=tenant.id,
                    username="elsewhere",
                    display_name="Elsewhere",
                    password_hash=hash_password(PASSWORD),
                    role="FRONT_DESK",
                )
            )
    finally:
        engine.dispose()
    return "elsewhere"


def test_an_administrator_unlocks_a_login_and_resets_a_password(
    clinic: tuple[str, SeedInfo],
) -> None:
    url, seed = clinic
    victim, colleague = seed.desk_usernames[0], seed.desk_usernames[1]
    elsewhere = _other_tenant_login(url)
    with Desk.open(url) as desk:
        for _ in range(desk_module.MAX_FAILED_LOGINS + 1):
            with pytest.raises(LoginFailed):
                desk.login(victim, "guess")
        admin = desk.login(seed.admin_username, PASSWORD)
        front = desk.login(colleague, PASSWORD)
        with pytest.raises(PermissionDenied):
            front.unlock_login(victim)
        with pytest.raises(PermissionDenied):
            front.reset_password(victim, "a new long password")
        # Another organisation's login is not there, as far as this desk can tell.
        with pytest.raises(NotFound):
            admin.unlock_login(elsewhere)
        with pytest.raises(NotFound):
            admin.reset_password(elsewhere, "a new long password")
        with pytest.raises(InvalidInput):
            admin.reset_password(victim, "tab\tin it")

        assert admin.unlock_login(victim).username == victim
        assert desk.login(victim, PASSWORD).staff.username == victim

        for _ in range(desk_module.MAX_FAILED_LOGINS):
            with pytest.raises(LoginFailed):
                desk.login(victim, "guess")
        admin.reset_password(victim, "a new long password")
        with pytest.raises(LoginFailed):
            desk.login(victim, PASSWORD)
        assert desk.login(victim, "a new long password").staff.username == victim

    events = [e for e in _all_events(url) if e.action in ("login_unlocked", "password_reset")]
    assert [e.action for e in events] == ["login_unlocked", "password_reset"]
    for event in events:
        assert event.staff_id == admin.staff.id and event.tenant_id == seed.tenant_id
        assert "argon2" not in (event.before or "") + (event.after or "")


def _all_events(url: str) -> list[AuditEvent]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(AuditEvent).order_by(AuditEvent.at)).all()
            return [AuditEvent(**r._mapping) for r in rows]
    finally:
        engine.dispose()


# --- audit ----------------------------------------------------------------------------------


def _events(url: str, since: datetime) -> list[AuditEvent]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(AuditEvent).where(AuditEvent.at >= since).order_by(AuditEvent.at)
            ).all()
            # Only the desks' writes: not the seeding, not the logins.
            return [
                AuditEvent(**r._mapping)
                for r in rows
                if "login" not in r.action and r.action != "seed"
            ]
    finally:
        engine.dispose()


def test_every_write_leaves_who_when_before_and_after(clinic: tuple[str, SeedInfo]) -> None:
    url, seed = clinic
    with Desk.open(url) as desk:
        d = desk.login(seed.desk_usernames[0], PASSWORD)
        began = datetime.now(UTC)
        patient = d.register_patient("Audit Trail", "0551112233", None)
        purchase = d.assign_package(patient.id, seed.package_ids[0])
        provider = seed.provider_ids[0]
        service = seed.provider_services[provider][0]
        day = future_day(2)
        slots = d.free_slots(provider, service, day, purchase_id=purchase.id)
        booked = d.book(patient.id, service, provider, slots[0], purchase_id=purchase.id)
        single = d.book(patient.id, service, provider, slots[3])
        d.reschedule(booked.id, slots[5])
        d.cancel(single.id, "family trip")
        d.confirm(booked.id)
        ended = datetime.now(UTC) + timedelta(seconds=1)
        writes = 7

        events = _events(url, began)
        assert len(events) == writes
        for event in events:
            assert event.staff_id == d.staff.id
            assert event.tenant_id == seed.tenant_id
            assert began <= event.at <= ended
            assert event.action and event.entity and event.entity_id is not None
            assert event.after is not None
            json.loads(event.after)
        by_entity = {}
        for event in events:
            by_entity.setdefault(event.entity_id, []).append(event)
        assert {patient.id, purchase.id, booked.id, single.id} <= set(by_entity)
        # A change records what it was before and what it became.
        changes = [e for e in by_entity[booked.id] + by_entity[single.id] if e.before]
        assert len(changes) == 3  # reschedule, cancel, confirm
        for event in changes:
            assert json.loads(event.before) != json.loads(event.after or "{}")

        # The audit log is for administrators, and only of their own organisation.
        with pytest.raises(PermissionDenied):
            d.audit_log()
        log = desk.login(seed.admin_username, PASSWORD).audit_log(limit=50)
        assert {e.entity_id for e in log} >= {booked.id, single.id, purchase.id}
        assert all(e.entity_id not in set(seed.other_tenant.values()) for e in log)


def test_a_refused_write_leaves_no_audit_event(clinic: tuple[str, SeedInfo]) -> None:
    url, seed = clinic
    with Desk.open(url) as desk:
        d = desk.login(seed.desk_usernames[0], PASSWORD)
        began = datetime.now(UTC)
        o = seed.other_tenant
        with pytest.raises(NotFound):
            d.assign_package(seed.patient_ids[0], o["package_id"])
        assert _events(url, began) == []


# --- no password on screen ------------------------------------------------------------------


def _deskbook(args: list[str], env_url: str | None = None, stdin: str = "") -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if k != "DESKBOOK_DATABASE_URL"}
    if env_url:
        env["DESKBOOK_DATABASE_URL"] = env_url
    done = subprocess.run(
        [str(Path(sys.executable).with_name("deskbook")), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    return done.returncode, done.stdout + done.stderr


COMMANDS = [
    ["db", "upgrade"],
    ["demo", "--patients", "5"],
    ["backup", "BACKUP"],
    ["staff", "add", "newdesk", "--role", "FRONT_DESK"],
    [],  # the TUI
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "tui")
def test_deskbook_never_shows_the_database_password(
    command: list[str], tmp_path: Path, pg_available: bool
) -> None:
    unreachable = f"postgresql+psycopg://clinic:{SECRET}@127.0.0.1:9/deskbook"
    args = [str(tmp_path / "b.db") if a == "BACKUP" else a for a in command]
    urls = [unreachable]
    if pg_available:
        # A server that answers, about a database that is not there.
        base = make_url(os.environ.get("DESKBOOK_TEST_PG_URL", "postgresql://postgres@127.0.0.1/x"))
        urls.append(
            base.set(password=SECRET, database="no_such_deskbook_db").render_as_string(
                hide_password=False
            )
        )
    for url in urls:
        for how in ("flag", "env"):
            flagged = [*args, "--db", url] if how == "flag" else args
            code, output = _deskbook(
                flagged, env_url=url if how == "env" else None, stdin="pw12345\npw12345\n"
            )
            assert SECRET not in output, (command, how, output)
            assert "Traceback" not in output, (command, how, output)
            assert code != 0, (command, how, output)


def test_desk_open_error_hides_the_password() -> None:
    with pytest.raises(DatabaseError) as caught:
        Desk.open(f"postgresql+psycopg://clinic:{SECRET}@127.0.0.1:9/deskbook")
    assert SECRET not in str(caught.value)
    assert "127.0.0.1" in str(caught.value)


def test_engine_repr_and_errors_in_logs_hide_the_password(caplog: Any) -> None:
    engine = make_engine(f"postgresql+psycopg://clinic:{SECRET}@127.0.0.1:9/deskbook")
    try:
        assert SECRET not in repr(engine) and SECRET not in str(engine.url)
        with caplog.at_level("DEBUG"), pytest.raises(DatabaseError):
            Desk(engine).login("x", "y")
        assert SECRET not in caplog.text
    finally:
        engine.dispose()


def _with_query_password(url: str) -> str:
    """url with the password as a query parameter; this server trusts local connections and
    does not look at it, so the commands succeed and print the URL."""
    return (
        make_url(url).update_query_dict({"password": SECRET}).render_as_string(hide_password=False)
    )


def test_safe_url_hides_a_password_in_the_query_too() -> None:
    for url in (
        f"postgresql+psycopg://clinic@db/deskbook?password={SECRET}&sslmode=require",
        f"postgresql://clinic:{SECRET}@db/deskbook?sslpassword={SECRET}",
        f"postgresql://clinic@db:notaport/deskbook?PassWord={SECRET}",
    ):
        shown = safe_url(url)
        assert SECRET not in shown and "clinic" in shown and "***" in shown, shown


def test_commands_never_show_a_password_given_in_the_query(
    pg_available: bool, db_url: str, tmp_path: Path
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("libpq reads ?password=; SQLite has none")
    url = _with_query_password(db_url)
    for args in (["db", "upgrade"], ["demo", "--patients", "20"]):
        code, output = _deskbook([*args, "--db", url])
        assert code == 0, output
        assert SECRET not in output, (args, output)
        assert "password=***" in output, (args, output)


def test_an_unknown_tenant_time_zone_is_refused_not_replaced(
    clinic: tuple[str, SeedInfo],
) -> None:
    url, seed = clinic
    engine = make_engine(url)
    try:
        with write_session(engine) as session:
            session.execute(
                update(Tenant).where(Tenant.id == seed.tenant_id).values(timezone="Mars/Olympus")
            )
    finally:
        engine.dispose()
    with Desk.open(url) as desk:
        with pytest.raises(DatabaseError, match="Mars/Olympus"):
            desk.login(seed.desk_usernames[0], PASSWORD)
        # Only the right password learns it: a wrong one reads like any other failure.
        with pytest.raises(LoginFailed) as wrong:
            desk.login(seed.desk_usernames[0], "not it")
        assert str(wrong.value) == LoginFailed.default_message


def test_invisible_characters_are_dropped_from_names_and_queries_alike(
    clinic: tuple[str, SeedInfo],
) -> None:
    """A zero-width space or a direction mark shows nothing, so "Ah\\u200bmed" must not be a
    different patient from "Ahmed" that search cannot find."""
    url, seed = clinic
    with Desk.open(url) as desk:
        d = desk.login(seed.desk_usernames[0], PASSWORD)
        made = d.register_patient(
            "Ah\u200bmed \u202eAl\u200f-Rash\ufeffid",
            "0557654321",
            None,
            name_ar="أحمد\u200c الرشيد",
        )
        assert made.name_en == "Ahmed Al-Rashid"
        assert made.name_ar == "أحمد الرشيد"
        for query in ("ahmed rashid", "Ah\u200bmed", "أحمد\u200b"):
            assert made.id in {p.id for p in d.search_patients(query)}, query
        with pytest.raises(InvalidInput):
            d.register_patient("\u200b\u200f\u2066", "0557654322", None)
