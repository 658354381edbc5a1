"""Helpers for the tests that run programs against the test database (PostgreSQL only)."""

from django.db import connection


def url_for(name: str) -> str:
    """A postgresql:// URL to database ``name`` with the test connection's credentials."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgresql://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{name}"
