"""Password hashing: Argon2id (memory-hard), verified in constant time by argon2-cffi."""

from __future__ import annotations

import unicodedata
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from argon2 import PasswordHasher


@cache
def _hasher() -> PasswordHasher:
    # Imported on first use: the login screen is up before anyone types a password.
    from argon2 import PasswordHasher

    # Modest cost so a login over ssh on a small clinic server stays well under a second.
    return PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


@cache
def _dummy_hash() -> str:
    # Verified against when the username is unknown, so a wrong name costs as long as a wrong
    # password and timing does not tell which usernames exist.
    return _hasher().hash("deskbook-no-such-user")


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        verified = _hasher().verify(password_hash or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    return verified and password_hash is not None


MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024

# Controls (a tab, a newline), format characters (bidi marks, zero-width joiners) and lone
# surrogates: invisible or untypeable at a login prompt, so a password holding one could be
# set but never typed back.
_UNTYPEABLE = frozenset({"Cc", "Cf", "Cs"})


def password_problem(password: object, *, new: bool = False) -> str | None:
    """Why password cannot be used, or None. The one rule for setting a password (new=True,
    which also asks for a minimum length) and for logging in with one, so no password can be
    set that the login would refuse."""
    if not isinstance(password, str):
        return "A password must be text."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"A password has at most {MAX_PASSWORD_LENGTH} characters."
    if any(unicodedata.category(ch) in _UNTYPEABLE for ch in password):
        return (
            "A password cannot hold tabs, line breaks or invisible characters "
            "(direction marks, zero-width spaces)."
        )
    if new and len(password) < MIN_PASSWORD_LENGTH:
        return f"A password needs at least {MIN_PASSWORD_LENGTH} characters."
    return None
