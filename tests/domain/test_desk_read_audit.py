"""Who looked at whom (issue 11, point 9): every opening of a patient's record is in the audit
trail with who, when, which patient and which desk; only an administrator reads the trail, by
patient, staff, action and day, page by page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from deskbook import Desk
from deskbook.db import engine as db
from deskbook.db.models import Tenant
from deskbook.errors import InvalidInput, OpeningNotRecorded, PermissionDenied
from deskbook.testing.small_clinic import PASSWORD, World


def test_an_opening_names_who_which_patient_and_desk(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DESKBOOK_DESK", "Reception 2")
    front, admin = world.login(), world.login("admin")
    patient = world.patient("Huda Looked", mrn=f"{world.prefix}MRN-9")
    before = datetime.now(UTC)
    token, _ = front.changes_since(None)
    assert front.get_patient(patient).name_en == "Huda Looked"
    # A search shows rows, not a record: it is no opening.
    front.find_patients("Huda")
    # Another desk's screens do not reload because somebody looked.
    assert front.changes_since(token) == (token, False)
    [opened] = admin.audit_log(patient_id=patient)
    assert (opened.action, opened.entity, opened.entity_id) == ("open_patient", "patient", patient)
    assert opened.staff_username == f"{world.prefix}frontdesk"
    assert opened.desk == "Reception 2"
    assert (opened.patient_name, opened.patient_mrn) == ("Huda Looked", f"{world.prefix}MRN-9")
    assert before <= opened.at <= datetime.now(UTC)


def test_the_desk_comes_from_ssh_when_not_named(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DESKBOOK_DESK", raising=False)
    monkeypatch.setenv("SSH_CONNECTION", "10.0.0.7 51022 10.0.0.1 22")
    patient = world.patient()
    world.login().get_patient(patient)
    [opened] = world.login("admin").audit_log(patient_id=patient)
    assert opened.desk is not None and opened.desk.startswith("ssh from 10.0.0.7")


def test_a_record_that_cannot_be_noted_is_not_shown(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another desk holds the tenant (registering a patient) past the lock wait: the opening
    cannot be written, so the record is refused with a sentence, and nothing is left behind."""
    patient = world.patient()
    monkeypatch.setenv("DESKBOOK_LOCK_TIMEOUT", "0.2")
    monkeypatch.setenv("DESKBOOK_BUSY_RETRIES", "1")
    with Desk.open(world.url) as impatient:
        front = impatient.login(f"{world.prefix}frontdesk", PASSWORD)
        with db.write_session(world.desk.engine) as holder:
            holder.get(Tenant, world.tenant_id, with_for_update=True)
            with pytest.raises(OpeningNotRecorded, match="not opened"):
                front.get_patient(patient)
        admin = world.login("admin")
        assert admin.audit_log(patient_id=patient) == []
        assert front.get_patient(patient).id == patient
        assert len(admin.audit_log(patient_id=patient)) == 1


def test_only_an_administrator_reads_the_trail(world: World) -> None:
    for role in ("frontdesk", "provider"):
        with pytest.raises(PermissionDenied):
            world.login(role).audit_log(action="open_patient")


def test_filters_and_pages(world: World) -> None:
    front, admin = world.login(), world.login("admin")
    first = world.patient("First Patient", mrn=f"{world.prefix}MRN-1")
    second = world.patient("Second Patient", mrn=f"{world.prefix}MRN-2")
    front.get_patient(first)
    front.get_patient(first)
    admin.get_patient(second)
    opens = admin.audit_log(action="open_patient")
    assert [e.entity_id for e in opens] == [second, first, first]
    assert len(admin.audit_log(patient_id=first)) == 2
    assert [e.entity_id for e in admin.audit_log(patient_mrn=f"{world.prefix}mrn-2")] == [second]
    assert {e.entity_id for e in admin.audit_log(staff=f"{world.prefix}FRONTDESK")} >= {first}
    assert second not in {e.entity_id for e in admin.audit_log(staff=f"{world.prefix}frontdesk")}
    assert admin.audit_log(action="no_such_action") == []
    today = datetime.now(admin._actor.tz).date()
    assert len(admin.audit_log(action="open_patient", since=today, until=today)) == 3
    assert admin.audit_log(action="open_patient", until=today - timedelta(days=1)) == []
    assert admin.audit_log(action="open_patient", since=today + timedelta(days=1)) == []
    pages = [admin.audit_log(1, offset=n, action="open_patient") for n in range(4)]
    assert [e.id for page in pages for e in page] == [e.id for e in opens]
    with pytest.raises(InvalidInput):
        admin.audit_log(since=today, until=today - timedelta(days=1))
    with pytest.raises(InvalidInput):
        admin.audit_log(offset=-1)
