"""Staff logins made from the command line (`deskbook staff add`): the way a clinic's IT person
creates real accounts, with an Argon2 password hash; and the administrator's unlock and
password reset, from the command line (`deskbook staff unlock`, `reset-password`) or a desk."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col

from deskbook import audit
from deskbook.access import printable
from deskbook.db.engine import violated_rule, write_session
from deskbook.db.migrate import current_database
from deskbook.db.models import Provider, Role, Staff, Tenant
from deskbook.errors import InvalidInput, NotFound
from deskbook.homeclinic import find_clinic
from deskbook.passwords import MIN_PASSWORD_LENGTH, hash_password, password_problem

USERNAME_MAX = 64


def add_staff(
    url: str,
    *,
    username: str,
    display_name: str,
    role: str,
    password: str,
    tenant_name: str | None = None,
    clinic: str | None = None,
    provider: str | None = None,
) -> uuid.UUID:
    """Create a login in the tenant called tenant_name (or the only one) and return its id.
    clinic (a name or an id) is the login's home clinic; provider (a name or an id) the
    provider a PROVIDER login is."""
    with current_database(url) as engine:
        return create_staff(
            engine,
            username=username,
            display_name=display_name,
            role=role,
            password=password,
            tenant_name=tenant_name,
            clinic=clinic,
            provider=provider,
        )


def check_before_password(
    url: str, *, username: str, role: str, provider: str | None = None
) -> None:
    """What can be refused without the password, so nobody types it twice for nothing:
    the role and its provider link, the username's form, and a database that is there and
    current."""
    _check_provider_link(_role(role), provider)
    _check(username.strip(), "x" * MIN_PASSWORD_LENGTH)
    with current_database(url):
        pass  # that it is there and current is all this asks of the database


def create_staff(
    engine: Engine,
    *,
    username: str,
    display_name: str,
    role: str,
    password: str,
    tenant_name: str | None = None,
    clinic: str | None = None,
    provider: str | None = None,
) -> uuid.UUID:
    username = username.strip()
    checked_role = _role(role)
    _check_provider_link(checked_role, provider)
    _check(username, password)
    password_hash = hash_password(password)
    try:
        with write_session(engine) as session:
            tenant_id = _tenant_id(session, tenant_name)
            taken = session.scalar(select(col(Staff.id)).where(col(Staff.username) == username))
            if taken is not None:
                raise InvalidInput(_taken(username))
            home = find_clinic(session, tenant_id, clinic).id if clinic is not None else None
            linked = _find_provider(session, tenant_id, provider) if provider is not None else None
            staff = Staff(
                tenant_id=tenant_id,
                username=username,
                display_name=display_name.strip() or username,
                password_hash=password_hash,
                role=checked_role,
                home_clinic_id=home,
                provider_id=linked,
            )
            session.add(staff)
            session.flush()
            return staff.id
    except IntegrityError as exc:
        # Another terminal created the same username between the check and the insert.
        if violated_rule(exc) == "uq_staff_username" or "username" in str(exc.orig):
            raise InvalidInput(_taken(username)) from None
        raise


def unlock(url: str, username: str) -> None:
    """`deskbook staff unlock`: clear a login's lock and its count of wrong passwords."""
    _on_database(url, lambda session: unlock_login(session, username, tenant_id=None, by=None))


def reset_password(url: str, username: str, password: str) -> None:
    """`deskbook staff reset-password`: a new password, and the lock cleared."""
    _refuse_password(password)
    password_hash = hash_password(password)
    _on_database(
        url,
        lambda session: set_password(session, username, password_hash, tenant_id=None, by=None),
    )


def check_login_exists(url: str, username: str) -> None:
    """Refused before the new password is asked for, like check_before_password."""
    _on_database(url, lambda session: _login(session, username, tenant_id=None))


def unlock_login(
    session: Session, username: str, *, tenant_id: uuid.UUID | None, by: uuid.UUID | None
) -> Staff:
    """Clear the lock of username (in tenant_id, when an administrator at a desk asks), audited
    as done by `by` (None: from the command line)."""
    staff = _login(session, username, tenant_id)
    before = _lock_state(staff)
    staff.failed_logins, staff.locked_until = 0, None
    audit.record(
        session, staff.tenant_id, by, "login_unlocked", "staff", staff.id, before,
        _lock_state(staff),
    )  # fmt: skip
    return staff


def set_password(
    session: Session,
    username: str,
    password_hash: str,
    *,
    tenant_id: uuid.UUID | None,
    by: uuid.UUID | None,
) -> Staff:
    """A new password hash for username, which also clears its lock. The audit event says that
    it changed, never what to."""
    staff = _login(session, username, tenant_id)
    before = _lock_state(staff)
    staff.password_hash = password_hash
    staff.failed_logins, staff.locked_until = 0, None
    audit.record(
        session, staff.tenant_id, by, "password_reset", "staff", staff.id, before,
        _lock_state(staff),
    )  # fmt: skip
    return staff


def _login(session: Session, username: str, tenant_id: uuid.UUID | None) -> Staff:
    # Text a database cannot compare (NUL, lone surrogates) names no login.
    name = (printable(username, USERNAME_MAX) or "").strip()
    query = select(Staff).where(col(Staff.username) == name)
    if tenant_id is not None:
        query = query.where(col(Staff.tenant_id) == tenant_id)
    staff = session.scalars(query.with_for_update(key_share=True)).first()
    if staff is None:
        raise NotFound(f"There is no login called '{name}'.")
    return staff


def _lock_state(staff: Staff) -> dict[str, object]:
    return {"failed_logins": staff.failed_logins, "locked_until": staff.locked_until}


def _on_database(url: str, work: Callable[[Session], object]) -> None:
    with current_database(url) as engine, write_session(engine) as session:
        work(session)


def _refuse_password(password: str) -> None:
    problem = password_problem(password, new=True)
    if problem is not None:
        raise InvalidInput(problem)


def _check_provider_link(role: Role, provider: str | None) -> None:
    """A PROVIDER login sees the day sheet of one provider, so it must name them; no other
    role is linked to one."""
    if role == Role.PROVIDER and not (provider or "").strip():
        raise InvalidInput(
            "A PROVIDER login needs --provider: the provider (name or id) whose day sheet it shows."
        )
    if role != Role.PROVIDER and provider is not None:
        raise InvalidInput("Only a PROVIDER login is linked to a provider; leave out --provider.")


def _find_provider(session: Session, tenant_id: uuid.UUID, name_or_id: str) -> uuid.UUID:
    """The tenant's active provider by id, by English or Arabic name (any case), or by the one
    name that starts with what was typed."""
    wanted = name_or_id.strip()
    providers = list(
        session.scalars(
            select(Provider).where(col(Provider.tenant_id) == tenant_id, col(Provider.active))
        )
    )
    folded = wanted.casefold()
    for test in (
        lambda p: folded in (str(p.id), p.name_en.casefold(), (p.name_ar or "").casefold()),
        lambda p: p.name_en.casefold().startswith(folded),
    ):
        found = [p for p in providers if test(p)]
        if len(found) == 1:
            return found[0].id
        if len(found) > 1:
            names = ", ".join(sorted(p.name_en for p in found))
            raise InvalidInput(f"'{wanted}' fits several providers ({names}); type more of it.")
    raise NotFound(f"There is no provider called '{wanted}' in this organisation.")


def _role(role: str) -> Role:
    try:
        return Role(role.strip().upper().replace("-", "_"))
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise InvalidInput(f"'{role}' is not a role; use one of {allowed}.") from None


def _check(username: str, password: str) -> None:
    if not username:
        raise InvalidInput("A username cannot be empty.")
    if len(username) > USERNAME_MAX or any(ch.isspace() for ch in username):
        raise InvalidInput(
            f"A username is one word of at most {USERNAME_MAX} characters, without spaces."
        )
    _refuse_password(password)


def _taken(username: str) -> str:
    return f"The username '{username}' is already taken; choose another."


def _tenant_id(session: Session, tenant_name: str | None) -> uuid.UUID:
    """The organisation by name, or the only one. On a database with none yet, naming one
    creates it: that is how a clinic's first login is made after `deskbook db upgrade`."""
    if tenant_name and tenant_name.strip():
        name = tenant_name.strip()
        found = session.scalars(
            select(col(Tenant.id)).where(func.lower(col(Tenant.name)) == name.lower())
        ).all()
        if found:
            return found[0]
        names = _tenant_names(session)
        if names:
            raise NotFound(
                f"There is no organisation called '{name}'; this database holds "
                + ", ".join(f"'{n}'" for n in names)
                + "."
            )
        tenant = Tenant(name=name)
        session.add(tenant)
        session.flush()
        return tenant.id
    ids = session.scalars(select(col(Tenant.id)).limit(2)).all()
    if not ids:
        raise NotFound(
            "The database holds no organisation yet; name it with --tenant to create it "
            "(or build the demo clinic with `deskbook demo`)."
        )
    if len(ids) > 1:
        raise InvalidInput(
            "The database holds several organisations ("
            + ", ".join(f"'{n}'" for n in _tenant_names(session))
            + "); say which one with --tenant."
        )
    return ids[0]


def _tenant_names(session: Session) -> list[str]:
    return list(session.scalars(select(col(Tenant.name)).order_by(col(Tenant.name)).limit(10)))
