"""The audit trail: one event per write, in the same transaction as the write."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from deskbook.access import Actor, count
from deskbook.db.models import AuditEvent, Staff
from deskbook.results import AuditView


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


def recent(session: Session, actor: Actor, limit: int) -> list[AuditView]:
    limit = count(limit, "number of events", 1, 1000, default=100)
    rows = session.execute(
        select(AuditEvent, col(Staff.username))
        .outerjoin(Staff, col(Staff.id) == AuditEvent.staff_id)
        .where(col(AuditEvent.tenant_id) == actor.tenant_id)
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id))
        .limit(limit)
    ).all()
    return [
        AuditView(
            id=e.id,
            at=e.at,
            staff_username=username,
            action=e.action,
            entity=e.entity,
            entity_id=e.entity_id,
            before=e.before,
            after=e.after,
        )
        for e, username in rows
    ]
