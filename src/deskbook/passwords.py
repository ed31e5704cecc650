"""Password hashing: Argon2id (memory-hard), verified in constant time by argon2-cffi."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# Modest cost so a login over ssh on a small clinic server stays well under a second.
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)

# Verified against when the username is unknown, so a wrong name costs as long as a wrong
# password and timing does not tell which usernames exist.
_DUMMY_HASH = _hasher.hash("deskbook-no-such-user")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
