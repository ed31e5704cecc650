"""The audit trail: one event per write, in the same transaction as the write.

Every transaction that records an event also raises its tenant's change counter
(tenant_version) once, just before it commits: screens poll that one row to learn that another
desk changed something. It is raised last so the counter row is the last lock a write takes
(no lock cycle with the house order in deskbook.booking) and is held only through the commit.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import event, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlmodel import col

from deskbook.access import Actor
from deskbook.db.models import AuditEvent, TenantVersion

# session.info key: the tenants whose counter this transaction raises when it commits.
_CHANGED = "deskbook_changed_tenants"


def _plain(value: object) -> object:
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _json(data: Mapping[str, object] | None) -> str | None:
    if data is None:
        return None
    return json.dumps({k: _plain(v) for k, v in data.items()}, ensure_ascii=False, sort_keys=True)


def record(
    session: Session,
    tenant_id: uuid.UUID,
    staff_id: uuid.UUID | None,
    action: str,
    entity: str,
    entity_id: uuid.UUID | None,
    before: Mapping[str, object] | None = None,
    after: Mapping[str, object] | None = None,
) -> None:
    session.info.setdefault(_CHANGED, set()).add(tenant_id)
    session.add(
        AuditEvent(
            tenant_id=tenant_id,
            staff_id=staff_id,
            action=action,
            entity=entity,
            entity_id=entity_id,
            before=_json(before),
            after=_json(after),
        )
    )


@event.listens_for(Session, "before_commit")
def _raise_versions(session: Session) -> None:
    tenants: set[uuid.UUID] = session.info.pop(_CHANGED, set())
    if not tenants:
        return
    bind = session.get_bind()
    insert = pg_insert if bind.dialect.name == "postgresql" else sqlite_insert
    for tenant_id in sorted(tenants, key=str):
        stmt = insert(TenantVersion).values(tenant_id=tenant_id, version=1)
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=[col(TenantVersion.tenant_id)],
                set_={"version": col(TenantVersion.version) + 1},
            )
        )


@event.listens_for(Session, "after_rollback")
def _forget_versions(session: Session) -> None:
    session.info.pop(_CHANGED, None)


def version(session: Session, tenant_id: uuid.UUID) -> int:
    """The tenant's change counter: 0 before its first audited write."""
    found = session.scalar(
        select(col(TenantVersion.version)).where(col(TenantVersion.tenant_id) == tenant_id)
    )
    return int(found or 0)


def log(
    session: Session,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: uuid.UUID | None,
    before: Mapping[str, object] | None = None,
    after: Mapping[str, object] | None = None,
) -> None:
    record(session, actor.tenant_id, actor.staff_id, action, entity, entity_id, before, after)


def looked_at(
    session: Session, actor: Actor, action: str, entity: str, entity_id: uuid.UUID, desk: str
) -> None:
    """A read of sensitive data: who, which record, from which desk (Saudi PDPL).

    Unlike a write it leaves the tenant's change counter alone: every desk re-reads what it
    shows when the counter moves, and a desk showing a patient would record another opening,
    move the counter again, and so on without end."""
    session.add(
        AuditEvent(
            tenant_id=actor.tenant_id,
            staff_id=actor.staff_id,
            action=action,
            entity=entity,
            entity_id=entity_id,
            desk=desk,
        )
    )
