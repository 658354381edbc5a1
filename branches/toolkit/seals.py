"""Seals: HMAC-SHA256 over a content hash, keyed with ``settings.SEAL_KEY``.

A plain SHA-256 stored beside what it covers proves nothing against whoever can write the
row: they change the content and store the new hash. A seal needs the key, which lives
outside the database (the environment or ``var/seal_key``), so a seal recomputed without
it does not match. The content hash itself may be computed anywhere (PostgreSQL computes
a sheet's in SQL); only this module turns it into a seal.
"""

import hashlib
import hmac

from django.conf import settings


def seal(content_hash: str, *, key: str | None = None) -> str:
    """The seal of a content hash (hex SHA-256): HMAC-SHA256 with the seal key, in hex."""
    secret = (settings.SEAL_KEY if key is None else key).encode()
    return hmac.new(secret, content_hash.encode(), hashlib.sha256).hexdigest()


def intact(recorded: str, content_hash: str, *, key: str | None = None) -> bool:
    """Whether ``recorded`` is the seal of ``content_hash`` (compared in constant time)."""
    return hmac.compare_digest(recorded or "", seal(content_hash, key=key))
