"""The teacher's secret: only a salted PBKDF2 hash of it is stored, compared in constant time;
and the teacher keys that stand in for it in the teacher's browsers.

The secret is 128 random bits (:func:`secrets.token_urlsafe`), shown to the teacher once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

__all__ = [
    "new_secret",
    "new_teacher_key",
    "parse_teacher_key",
    "secret_matches",
    "stored_secret_hash",
    "teacher_key",
    "teacher_key_hash",
]

# The secret is 128 random bits, so stretching only guards a leaked database; every teacher
# action verifies it, so the iteration count stays at a few milliseconds.
SECRET_HASH_ITERATIONS = 20_000


def new_secret() -> str:
    """A fresh teacher secret (16 random bytes, URL-safe text)."""
    return secrets.token_urlsafe(16)


def _hash(secret: str, salt: bytes, iterations: int) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", secret.encode(), salt, iterations)


def stored_secret_hash(secret: str) -> str:
    """The secret as the database keeps it: ``pbkdf2_sha256$iterations$salt$digest``."""
    salt = secrets.token_bytes(16)
    digest = _hash(secret, salt, SECRET_HASH_ITERATIONS)
    return f"pbkdf2_sha256${SECRET_HASH_ITERATIONS}${salt.hex()}${digest.hex()}"


def secret_matches(secret: object, stored: str) -> bool:
    """Whether ``secret`` (whatever a browser sent) is the one ``stored`` was made from."""
    if not isinstance(secret, str) or not secret or len(secret) > 200:
        return False
    _, iterations, salt_hex, digest_hex = stored.split("$")
    digest = _hash(secret, bytes.fromhex(salt_hex), int(iterations))
    return hmac.compare_digest(digest, bytes.fromhex(digest_hex))


# A teacher key stands in for the secret in one browser of the teacher's (its cookie, or a
# teacher link): 128 random bits like the secret, so that the secret itself never goes into a
# page. Its token carries the class code too; a key never holds a ".", so the first one splits
# the two.
TEACHER_KEY_SEPARATOR = "."


def new_teacher_key() -> str:
    """A fresh teacher key (16 random bytes, URL-safe text)."""
    return secrets.token_urlsafe(16)


def teacher_key_hash(key: str) -> str:
    """A teacher key as the database keeps it: its SHA-256, hex. A key is 128 random bits and
    only ever made by :func:`new_teacher_key`, so, unlike a password, it needs no stretching."""
    return hashlib.sha256(key.encode()).hexdigest()


def teacher_key(code: str, key: str) -> str:
    """The token of a teacher key of class ``code``: what the cookie or the link holds.

    >>> teacher_key("K7RW3M", "k3y")
    'K7RW3M.k3y'
    """
    return f"{code}{TEACHER_KEY_SEPARATOR}{key}"


def parse_teacher_key(token: object) -> tuple[str, str] | None:
    """``(code, key)`` of a teacher key's token, or None for anything else a browser may send.

    Whether the key is right is the store's to check (``ClassroomStore.check_teacher``).

    >>> parse_teacher_key("K7RW3M.k3y")
    ('K7RW3M', 'k3y')
    >>> parse_teacher_key("no separator") is None
    True
    """
    if not isinstance(token, str) or len(token) > 300 or TEACHER_KEY_SEPARATOR not in token:
        return None
    code, key = token.split(TEACHER_KEY_SEPARATOR, 1)
    if not code or not key:
        return None
    return code, key
