"""Hostile input to every Desk method: only DeskError comes out, and nothing is written unless
the input was valid.

Each example starts from a call that would work and replaces one or two of its arguments with
something hostile: huge strings, SQL fragments, control and bidi characters, NUL, lone
surrogates, invalid UUIDs, ids of another tenant or of the wrong kind, naive, ancient and
far-future datetimes, absurd numbers. Around every call the row count of every table is taken:
a refused call (DeskError) and any read must leave them all as they were. Afterwards the
session still works and every invariant holds.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from deskbook import Desk
from deskbook.db.engine import make_engine
from deskbook.errors import DeskError
from deskbook.testing.clock import TZ, future_day
from deskbook.testing.invariants import check_invariants, table_counts, violations
from deskbook.testing.soak_seed import PASSWORD, SeedInfo, seed_clinic

# Modest by default so the suite stays quick; DESKBOOK_FUZZ_EXAMPLES=500 for a long hunt.
EXAMPLES = int(os.environ.get("DESKBOOK_FUZZ_EXAMPLES", "25"))

SQL = [
    "'; DROP TABLE patient; --",
    "' OR '1'='1",
    '" OR ""="',
    "1; SELECT pg_sleep(10)",
    "%",
    "_",
    "\\",
    "%' AND 1=1 --",
    "Robert'); DELETE FROM appointment;--",
    "$$; DROP TABLE staff; $$",
]
ODD = [
    "",
    " ",
    "\x00",
    "abc\x00def",
    "\ud800",
    "\u202eevil\u202c",
    "\u2066\u2067\u2068\u2069",
    "\u200f\u200e\u200b\ufeff",
    "\r\n\t\x1b[31m\x07",
    "🙂" * 50,
    "A" * 100_000,
    "٣" * 5000,
    "ـ" * 300,
    "null",
    "None",
]
hostile_text = st.one_of(st.sampled_from(SQL + ODD), st.text(max_size=80))
BAD_IDS: list[Any] = [
    "not-a-uuid",
    "",
    "0",
    "' OR 1=1 --",
    "00000000-0000-0000-0000-00000000000g",
    "{12345678-1234-5678-1234-567812345678}x",
    12,
    3.5,
    None,
    b"\x00" * 16,
    [],
    {},
    uuid.UUID(int=0),
    str(uuid.UUID(int=2**128 - 1)),
]
bad_moments: list[Any] = [
    datetime(2030, 1, 1, 10, 0),  # naive
    datetime.now() + timedelta(days=1),  # naive, tomorrow
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, tzinfo=UTC),
    datetime.max.replace(tzinfo=UTC),
    datetime(1970, 1, 1, tzinfo=UTC),
    date(2030, 1, 1),
    "2030-01-01T10:00:00+03:00",
    0,
    None,
]
bad_days: list[Any] = [
    date.min,
    date.max,
    date(1900, 1, 1),
    datetime.now(UTC),
    "2030-01-01",
    None,
    20300101,
]
bad_numbers: list[Any] = [0, -1, -(2**63), 2**63, 10**100, float("nan"), float("inf"), "3", None]


@dataclass
class FuzzEnv:
    url: str
    counter: Engine  # counts rows from outside the Desk
    desk: Desk
    d: Any  # a front desk
    admin: Any
    seed: SeedInfo
    valid: dict[str, Any]
    ids: list[Any]  # every id we know, of every kind and both tenants


def hostile(kind: str, env: FuzzEnv) -> st.SearchStrategy[Any]:
    known_ids = st.sampled_from(env.ids)
    if kind == "id":
        return st.one_of(known_ids, st.uuids(), st.sampled_from(BAD_IDS), hostile_text)
    if kind == "text":
        return st.one_of(hostile_text, st.sampled_from(BAD_IDS))
    if kind == "moment":
        return st.one_of(
            st.sampled_from(bad_moments),
            st.datetimes(
                min_value=datetime(1, 1, 2),
                max_value=datetime(9999, 12, 30),
                timezones=st.sampled_from([UTC, timezone(timedelta(hours=14)), TZ]),
            ),
            st.datetimes(),  # naive
        )
    if kind == "day":
        return st.one_of(st.sampled_from(bad_days), st.dates())
    if kind == "number":
        return st.one_of(st.sampled_from(bad_numbers), st.integers())
    raise AssertionError(kind)


# method -> (argument kinds, read-only?)
METHODS: dict[str, tuple[dict[str, str], bool]] = {
    "search_patients": ({"query": "text", "limit": "number"}, True),
    "find_patients": ({"query": "text", "limit": "number"}, True),
    "get_patient": ({"patient_id": "id"}, True),
    "packages_for_patient": ({"patient_id": "id"}, True),
    "clinics_for": ({"package_id": "id", "purchase_id": "id", "service_id": "id"}, True),
    "services_for": ({"clinic_id": "id", "package_id": "id", "purchase_id": "id"}, True),
    "providers_for": ({"clinic_id": "id", "service_id": "id"}, True),
    "free_slots": (
        {"provider_id": "id", "service_id": "id", "day": "day", "purchase_id": "id"},
        True,
    ),
    "slot_grid": (
        {
            "provider_id": "id",
            "service_id": "id",
            "day": "day",
            "purchase_id": "id",
            "patient_id": "id",
            "appointment_id": "id",
        },
        True,
    ),
    "usable_purchases_for": ({"patient_id": "id", "service_id": "id"}, True),
    "next_session_number": (
        {"purchase_id": "id", "service_id": "id", "start": "moment"},
        True,
    ),
    "first_available": (
        {"clinic_id": "id", "service_id": "id", "after": "moment", "purchase_id": "id"},
        True,
    ),
    "day_sheet": ({"day": "day", "clinic_id": "id", "provider_id": "id"}, True),
    "appointments_of": ({"patient_id": "id"}, True),
    "group_sessions": ({"day": "day", "clinic_id": "id", "service_id": "id"}, True),
    "audit_log": ({"limit": "number"}, True),
    "register_patient": (
        {
            "name_en": "text",
            "phone": "text",
            "date_of_birth": "day",
            "name_ar": "text",
            "sex": "text",
            "national_id": "text",
        },
        False,
    ),
    "assign_package": ({"patient_id": "id", "package_id": "id"}, False),
    "void_purchase": ({"purchase_id": "id", "reason": "text"}, False),
    "book": (
        {
            "patient_id": "id",
            "service_id": "id",
            "provider_id": "id",
            "start": "moment",
            "purchase_id": "id",
            "group_session_id": "id",
            "notes": "text",
        },
        False,
    ),
    "cancel": ({"appointment_id": "id", "reason": "text"}, False),
    "reschedule": ({"appointment_id": "id", "new_start": "moment", "provider_id": "id"}, False),
    "check_in": ({"appointment_id": "id"}, False),
    "complete": ({"appointment_id": "id"}, False),
    "no_show": ({"appointment_id": "id"}, False),
    "confirm": ({"appointment_id": "id"}, False),
    "undo_status": ({"appointment_id": "id"}, False),
    "schedule_group_session": (
        {"service_id": "id", "provider_id": "id", "start": "moment", "capacity": "number"},
        False,
    ),
}


ADMIN_ONLY = frozenset({"schedule_group_session", "audit_log"})
# Reads of health data that note the look in the audit trail (PDPL): on success they add exactly
# one audit event and nothing else; on refusal, nothing.
NOTES_THE_LOOK = frozenset({"get_patient"})


def _valid_args(env: FuzzEnv, method: str) -> dict[str, Any]:
    v = env.valid
    return {
        "search_patients": {"query": "rashid", "limit": 50},
        "find_patients": {"query": "rashid", "limit": 50},
        "get_patient": {"patient_id": v["patient"]},
        "packages_for_patient": {"patient_id": v["patient"]},
        "clinics_for": {"package_id": v["package"], "purchase_id": None, "service_id": None},
        "services_for": {"clinic_id": v["clinic"], "package_id": None, "purchase_id": None},
        "providers_for": {"clinic_id": v["clinic"], "service_id": v["service"]},
        "free_slots": {
            "provider_id": v["provider"],
            "service_id": v["service"],
            "day": v["day"],
            "purchase_id": None,
        },
        "slot_grid": {
            "provider_id": v["provider"],
            "service_id": v["service"],
            "day": v["day"],
            "purchase_id": None,
            "patient_id": v["patient"],
            "appointment_id": None,
        },
        "usable_purchases_for": {"patient_id": v["patient"], "service_id": v["service"]},
        "next_session_number": {
            "purchase_id": env.seed.purchase_ids[0],
            "service_id": v["service"],
            "start": v["start"],
        },
        "first_available": {
            "clinic_id": v["clinic"],
            "service_id": v["service"],
            "after": v["start"],
            "purchase_id": None,
        },
        "day_sheet": {"day": v["day"], "clinic_id": None, "provider_id": None},
        "appointments_of": {"patient_id": v["patient"]},
        "group_sessions": {"day": v["day"], "clinic_id": None, "service_id": None},
        "audit_log": {"limit": 20},
        "register_patient": {
            "name_en": "Fuzz Patient",
            "phone": "0551234567",
            "date_of_birth": date(2015, 3, 1),
            "name_ar": "مريض",
            "sex": "F",
            "national_id": "1234567890",
        },
        "assign_package": {"patient_id": v["patient"], "package_id": v["package"]},
        "void_purchase": {"purchase_id": env.seed.purchase_ids[0], "reason": "by mistake"},
        "book": {
            "patient_id": v["patient"],
            "service_id": v["service"],
            "provider_id": v["provider"],
            "start": v["start"],
            "purchase_id": None,
            "group_session_id": None,
            "notes": "first visit",
        },
        "cancel": {"appointment_id": v["appointment"], "reason": "patient called"},
        "reschedule": {
            "appointment_id": v["appointment"],
            "new_start": v["start"] + timedelta(hours=1),
            "provider_id": None,
        },
        "check_in": {"appointment_id": v["appointment"]},
        "complete": {"appointment_id": v["appointment"]},
        "no_show": {"appointment_id": v["appointment"]},
        "confirm": {"appointment_id": v["appointment"]},
        "undo_status": {"appointment_id": v["appointment"]},
        "schedule_group_session": {
            "service_id": v["group_service"],
            "provider_id": v["provider"],
            "start": v["start"] + timedelta(days=1),
            "capacity": 4,
        },
    }[method]


@pytest.fixture(scope="module")
def fuzz_env(module_url: str) -> Iterator[FuzzEnv]:
    """One seeded database per engine for the whole module: the checks compare each call's
    before and after, so the examples need not start from the same rows."""
    seed = seed_clinic(module_url, patients=12, desks=2)
    desk = Desk.open(module_url)
    counter = make_engine(module_url)
    try:
        yield _prepare(module_url, counter, desk, seed)
    finally:
        desk.close()
        counter.dispose()


def _prepare(url: str, counter: Engine, desk: Desk, seed: SeedInfo) -> FuzzEnv:
    d = desk.login(seed.desk_usernames[0], PASSWORD)
    provider = seed.provider_ids[0]
    service = seed.provider_services[provider][0]
    tomorrow = future_day(1)
    slots = d.free_slots(provider, service, tomorrow)
    assert len(slots) > 4
    booked = d.book(seed.patient_ids[0], service, provider, slots[0])
    other = desk.login("otherdesk", PASSWORD)
    o = seed.other_tenant
    other_slot = other.free_slots(o["provider_id"], o["service_id"], tomorrow)[0]
    other_appt = other.book(o["patient_id"], o["service_id"], o["provider_id"], other_slot)
    valid = {
        "patient": seed.patient_ids[1],
        "package": seed.package_ids[0],
        "clinic": seed.clinic_ids[0],
        "service": service,
        "group_service": seed.group_service_id,
        "provider": provider,
        "day": tomorrow,
        "start": slots[2],
        "appointment": booked.id,
    }
    ids = [
        *seed.patient_ids[:3],
        *seed.provider_ids,
        *seed.clinic_ids,
        *seed.single_service_ids,
        seed.group_service_id,
        *seed.package_ids,
        *seed.purchase_ids[:3],
        *seed.group_session_ids,
        booked.id,
        other_appt.id,
        *o.values(),
        str(seed.patient_ids[2]),
        str(o["patient_id"]).upper(),
    ]
    admin = desk.login(seed.admin_username, PASSWORD)
    return FuzzEnv(url, counter, desk, d, admin, seed, valid, ids)


def _counts(env: FuzzEnv) -> dict[str, int]:
    return table_counts(env.counter)


def _run(env: FuzzEnv, method: str, args: dict[str, Any]) -> None:
    _kinds, read_only = METHODS[method]
    before = _counts(env)
    who = env.admin if method in ADMIN_ONLY else env.d
    call: Callable[..., Any] = getattr(who, method)
    try:
        call(**args)
    except DeskError as exc:
        assert str(exc).strip(), "a DeskError must say what happened"
        assert _counts(env) == before, f"{method} refused the input but wrote something"
    else:
        after = _counts(env)
        if method in NOTES_THE_LOOK:
            assert after == {**before, "audit_event": before["audit_event"] + 1}, (
                f"{method} should note the look and write nothing else"
            )
        elif read_only:
            assert after == before, f"{method} only reads but wrote something"
    # Whatever happened, the desk still works.
    env.d.search_patients("al", limit=5)


@pytest.mark.parametrize("method", sorted(METHODS))
def test_hostile_arguments_get_a_sentence_and_write_nothing(fuzz_env: FuzzEnv, method: str) -> None:
    kinds, _read_only = METHODS[method]
    names = sorted(kinds)
    mutated = st.lists(st.sampled_from(names), min_size=1, max_size=2, unique=True).flatmap(
        lambda chosen: st.fixed_dictionaries({n: hostile(kinds[n], fuzz_env) for n in chosen})
    )
    # Now and then the valid call itself, so the writes that should happen do happen.
    mutation = st.one_of(mutated, mutated, mutated, st.just({}))

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(changes=mutation)
    def check(changes: dict[str, Any]) -> None:
        _run(fuzz_env, method, {**_valid_args(fuzz_env, method), **changes})

    check()


def test_hostile_logins_and_urls_are_refused_in_a_sentence(fuzz_env: FuzzEnv) -> None:
    @settings(max_examples=EXAMPLES * 2, deadline=None)
    @given(
        username=st.one_of(hostile_text, st.sampled_from(BAD_IDS)),
        password=st.one_of(hostile_text, st.sampled_from(BAD_IDS)),
    )
    def check(username: Any, password: Any) -> None:
        before = _counts(fuzz_env)
        with pytest.raises(DeskError):
            fuzz_env.desk.login(username, password)
        after = _counts(fuzz_env)
        # A failed login may leave an audit event for the admin to see, and nothing else.
        assert {k: v for k, v in after.items() if k != "audit_event"} == {
            k: v for k, v in before.items() if k != "audit_event"
        }

    check()
    for url in ("", "nonsense", "mysql://x@y/z", "sqlite:////no/such/folder/x.db", "\x00"):
        with pytest.raises(DeskError):
            Desk.open(url)


def test_after_the_fuzzing_every_invariant_holds(fuzz_env: FuzzEnv) -> None:
    assert violations(check_invariants(fuzz_env.counter)) == {}
    # Sanity: the valid calls did go through, so the refusals above were not all there was.
    assert len(fuzz_env.d.appointments_of(fuzz_env.seed.patient_ids[0])) >= 1
