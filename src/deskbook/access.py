"""Who may do what, and the checks every input passes before it reaches a query.

An id from another tenant is NotFound, never PermissionDenied: a desk must not learn that a
row exists elsewhere.
"""

from __future__ import annotations

import unicodedata
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Protocol, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from deskbook.db.models import Role
from deskbook.errors import InvalidInput, NotFound, PermissionDenied
from deskbook.normalize import strip_invisible


class Owned(Protocol):
    """A row that belongs to one tenant."""

    tenant_id: uuid.UUID


T = TypeVar("T", bound=Owned)

# How far ahead a desk may book or look: beyond this a date is a typo, not a plan.
HORIZON_DAYS = 2 * 366

BOOKERS = frozenset({Role.ADMIN, Role.FRONT_DESK})
ADMINS = frozenset({Role.ADMIN})


@dataclass(frozen=True)
class Actor:
    """The logged-in staff member as the domain modules need them."""

    staff_id: uuid.UUID
    tenant_id: uuid.UUID
    role: str
    provider_id: uuid.UUID | None
    tz: ZoneInfo

    def today(self) -> date:
        return datetime.now(self.tz).date()

    def local_day(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()


def require(actor: Actor, roles: frozenset[Role], what: str) -> None:
    if actor.role not in roles:
        raise PermissionDenied(f"Your role ({actor.role.replace('_', ' ').lower()}) cannot {what}.")


def as_id(value: object, what: str) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, str):
        try:
            return uuid.UUID(value.strip())
        except ValueError:
            pass
    raise InvalidInput(f"That is not a valid {what} id.")


def optional_id(value: object, what: str) -> uuid.UUID | None:
    return None if value is None or value == "" else as_id(value, what)


def get_owned(session: Session, model: type[T], row_id: uuid.UUID, actor: Actor, what: str) -> T:
    """The row if it exists in the actor's tenant, else NotFound with a sentence."""
    row = session.get(model, row_id)
    if row is None or row.tenant_id != actor.tenant_id:
        raise NotFound(f"No such {what}.")
    return row


def lock_owned(session: Session, model: type[T], row_id: uuid.UUID, actor: Actor, what: str) -> T:
    """Like get_owned, under a row lock (PostgreSQL; SQLite already holds the write lock),
    re-read so a row another desk just changed is seen as it is now.

    FOR NO KEY UPDATE, not FOR UPDATE: desks still queue on the row, but the foreign-key checks
    of other desks' writes (FOR KEY SHARE on the rows they point at) do not wait on it. With
    FOR UPDATE, renumbering a package re-checks the keys of its visits with other providers,
    and two desks each holding the provider the other re-checks deadlocked (issue 11, #5).
    Nothing deletes a locked row or changes its key, the one thing this mode lets through."""
    row = session.get(model, row_id, with_for_update={"key_share": True}, populate_existing=True)
    if row is None or row.tenant_id != actor.tenant_id:
        raise NotFound(f"No such {what}.")
    return row


def aware(moment: object, what: str = "time") -> datetime:
    if not isinstance(moment, datetime):
        raise InvalidInput(f"The {what} must be a date and time.")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput(f"The {what} must carry a time zone.")
    try:
        when = moment.astimezone(UTC)
    except (OverflowError, ValueError):
        raise InvalidInput(f"The {what} is out of range.") from None
    if not exists(moment):
        # Never shifted silently to the hour after: the desk meant a time the clock skips.
        zone = getattr(moment.tzinfo, "key", None) or moment.tzname()
        raise InvalidInput(
            f"{moment:%H:%M} on {moment:%a %d %b %Y} does not exist in {zone}: the clocks go "
            "forward then. Pick a time from the free slots."
        )
    return when


def exists(moment: datetime) -> bool:
    """Whether an aware local time happens at all: one in a daylight-saving gap (02:30 on the
    night the clocks go from 02:00 to 03:00) does not come back the same from UTC."""
    back = moment.astimezone(UTC).astimezone(moment.tzinfo)
    return back.replace(tzinfo=None) == moment.replace(tzinfo=None)


def within_horizon(moment: object, what: str = "time") -> datetime:
    when = aware(moment, what)
    if when > datetime.now(UTC) + timedelta(days=HORIZON_DAYS):
        raise InvalidInput(f"That {what} is too far ahead; pick one within two years.")
    return when


def future_time(moment: object, what: str = "time") -> datetime:
    """An aware time that has not passed and is within the booking horizon."""
    when = within_horizon(moment, what)
    if when < datetime.now(UTC):
        raise InvalidInput(f"That {what} has already passed.")
    return when


def as_day(value: object, what: str = "day") -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise InvalidInput(f"The {what} must be a date.")
    if abs((value - date.today()).days) > HORIZON_DAYS * 5:
        raise InvalidInput(f"The {what} {value.isoformat()} is too far from today.")
    return value


# Characters a database refuses (NUL, lone surrogates) or that disguise text on a screen
# (controls, bidi overrides). Newlines and tabs are allowed only where text may span lines.
_BIDI_OVERRIDES = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _bad_char(ch: str, multiline: bool) -> bool:
    if ch in "\n\t" and multiline:
        return False
    return ch in _BIDI_OVERRIDES or unicodedata.category(ch) in ("Cc", "Cs")


def clean_text(
    value: object, what: str, max_len: int, required: bool = False, multiline: bool = False
) -> str | None:
    """value stripped, or None when empty and optional; InvalidInput when it cannot be stored.
    Invisible format characters are dropped first (normalize.strip_invisible), as search does."""
    if isinstance(value, str):
        value = strip_invisible(value)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidInput(f"The {what} is required.")
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"The {what} must be text.")
    if len(value) > max_len * 4:
        raise InvalidInput(f"The {what} is too long ({max_len} characters at most).")
    if any(_bad_char(ch, multiline) for ch in value):
        raise InvalidInput(f"The {what} contains characters that cannot be stored.")
    cleaned = value.strip() if multiline else " ".join(value.split())
    if len(cleaned) > max_len:
        raise InvalidInput(f"The {what} is too long ({max_len} characters at most).")
    return cleaned


def printable(value: object, max_len: int = 200) -> str | None:
    """value without characters that cannot be stored or compared, or None when it is not
    text at all (for search queries and usernames, where garbage simply finds nothing)."""
    if not isinstance(value, str) or len(value) > max_len:
        return None
    return "".join(ch for ch in value if not _bad_char(ch, multiline=False))


def count(value: object, what: str, low: int, high: int, default: int | None = None) -> int:
    """A whole number in low..high (None means default, when there is one)."""
    if value is None and default is not None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"The {what} must be a whole number.")
    if not low <= value <= high:
        raise InvalidInput(f"The {what} must be between {low} and {high}.")
    return value
