"""The teacher's secret: only a salted PBKDF2 hash of it is stored, compared in constant time;
and the teacher key, which carries it with its class code.

The secret is 128 random bits (:func:`secrets.token_urlsafe`), shown to the teacher once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

__all__ = [
    "new_secret",
    "parse_teacher_key",
    "secret_matches",
    "stored_secret_hash",
    "teacher_key",
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


# A teacher key: the class's code and its teacher secret in one token, what a teacher's browser
# keeps (a cookie) or a teacher link carries. The secret never holds a ".", so the first one
# splits the two.
TEACHER_KEY_SEPARATOR = "."


def teacher_key(code: str, secret: str) -> str:
    """The teacher key of class ``code``.

    >>> teacher_key("K7RW3M", "s3cr3t")
    'K7RW3M.s3cr3t'
    """
    return f"{code}{TEACHER_KEY_SEPARATOR}{secret}"


def parse_teacher_key(key: object) -> tuple[str, str] | None:
    """``(code, secret)`` of a teacher key, or None for anything else a browser may send.

    Whether the secret is right is the store's to check (``ClassroomStore.check_teacher``).

    >>> parse_teacher_key("K7RW3M.s3cr3t")
    ('K7RW3M', 's3cr3t')
    >>> parse_teacher_key("no separator") is None
    True
    """
    if not isinstance(key, str) or len(key) > 300 or TEACHER_KEY_SEPARATOR not in key:
        return None
    code, secret = key.split(TEACHER_KEY_SEPARATOR, 1)
    if not code or not secret:
        return None
    return code, secret
