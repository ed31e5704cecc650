"""Safe re-send (issue 11, #8): a write sent with the caller's request id is done once.

A desk whose connection drops while COMMIT is on its way cannot know whether its write landed.
It sends the same request again, with the same id: the first try's row in client_request is
found, and the result it made is handed back instead of booking (or cancelling, or selling)
a second time. The row is claimed first thing in the write's transaction: on PostgreSQL a
re-send racing a first try still in flight waits on the key, then fails on it and is run again
by SessionBase, now finding the row; SQLite has one writer at a time.
"""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from deskbook.access import Actor
from deskbook.db.models import ClientRequest
from deskbook.errors import InvalidInput

KEY = "pk_client_request"


def claim(session: Session, actor: Actor, request_id: uuid.UUID, action: str) -> ClientRequest:
    """The request's row: the one a first try left (result_id set), or a new claim."""
    row = session.get(ClientRequest, (actor.tenant_id, request_id))
    if row is None:
        row = ClientRequest(
            tenant_id=actor.tenant_id, request_id=request_id, staff_id=actor.staff_id, action=action
        )
        session.add(row)
        session.flush()
    elif row.action != action or row.staff_id != actor.staff_id:
        # Ids are made fresh for each user action; reuse for something else is a caller's bug.
        raise InvalidInput("That request id was already used for another change.")
    return row


def is_claim_clash(exc: IntegrityError) -> bool:
    """Two tries of one request in flight at once: the second lost the race for the key."""
    diag = getattr(exc.orig, "diag", None)
    return getattr(diag, "constraint_name", None) == KEY or "client_request." in str(exc.orig)


def landed(session: Session, actor: Actor, request_id: uuid.UUID) -> bool:
    row = session.get(ClientRequest, (actor.tenant_id, request_id))
    return row is not None and row.staff_id == actor.staff_id
