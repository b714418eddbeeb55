"""The teacher's secret: only a salted PBKDF2 hash of it is stored, compared in constant time.

The secret is 128 random bits (:func:`secrets.token_urlsafe`), shown to the teacher once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

__all__ = ["new_secret", "secret_matches", "stored_secret_hash"]

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
