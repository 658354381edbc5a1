"""Backups restore: the demo loaded into PostgreSQL, `pg_dump` as docs/deploy.md says, restored
into an empty database; every table holds the same rows and the pages read the same."""

import json
import os
import re
import shutil
import subprocess
import sys
import uuid

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client

from branches.models import User
from tests.deploy.postgres import url_for

# (who reads it, page): the department's pages, and the audit trail as the 审计员 (三员分立).
PAGES = [
    ("dq01", "/"),
    ("dq01", "/orgs/"),
    ("dq01", "/campaigns/"),
    ("dq01", "/orgs/terms/"),
    ("dq01", "/groups/"),
    ("sh01", "/audit/?action=create"),  # not the logins this test itself makes
]

# Run in a fresh interpreter whose DATABASE_URL names the restored database.
READ_PAGES = """
import json, os, sys
import django
django.setup()
from django.test import Client
from branches.models import User
from branches.second_factor.selectors import requires_second_factor
from tests import otp
from tests.deploy.postgres import url_for
pages = {}
for who_url in sys.argv[1:]:
    who, url = who_url.split(" ", 1)
    client = Client()
    user = User.objects.get(username=who)
    client.force_login(user)
    if requires_second_factor(user):
        otp.prove(client, user)  # the restored database holds the device like any other row
    response = client.get(url)
    pages[who_url] = [response.status_code, response.content.decode()]
print(json.dumps(pages))
"""


def _normalized(html: str) -> str:
    """The page without its CSRF tokens (64 random characters, new for every session)."""
    return re.sub(r"\b[A-Za-z0-9]{64}\b", "CSRF", html)


def _counts(cursor) -> dict[str, int]:
    counts = {}
    for model in apps.get_models(include_auto_created=True):
        table = model._meta.db_table
        cursor.execute(f'SELECT count(*) FROM "{table}"')
        counts[table] = cursor.fetchone()[0]
    return counts


@pytest.mark.django_db(transaction=True)
def test_a_pg_dump_restores_into_an_empty_database(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("DATABASE_URL is not PostgreSQL: pg_dump/pg_restore do not apply")
    for tool in ("pg_dump", "pg_restore"):
        assert shutil.which(tool), f"{tool} missing (Debian package postgresql-client)"
    call_command("load_rubrics", verbosity=0)
    call_command("load_demo", verbosity=0)
    source = connection.settings_dict["NAME"]
    fresh = f"{source}_restore_{uuid.uuid4().hex[:8]}"
    dump = tmp_path / "kaoping.dump"
    # The commands of the backup and restore sections of docs/deploy.md.
    subprocess.run(
        ["pg_dump", "--format=custom", "--no-owner", f"--file={dump}", url_for(source)],
        check=True,
        timeout=120,
    )
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{fresh}"')
    try:
        subprocess.run(
            [
                "pg_restore",
                "--no-owner",
                "--exit-on-error",
                f"--dbname={url_for(fresh)}",
                str(dump),
            ],
            check=True,
            timeout=120,
        )
        import psycopg

        with connection.cursor() as cursor:
            expected = _counts(cursor)
        with psycopg.connect(url_for(fresh)) as restored, restored.cursor() as cursor:
            assert _counts(cursor) == expected
        assert expected["branches_organization"] > 10 and expected["assessments_scoresheet"]

        env = {
            **os.environ,
            "DATABASE_URL": url_for(fresh),
            "DJANGO_ALLOWED_HOSTS": "testserver",
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }
        result = subprocess.run(
            [sys.executable, "-c", READ_PAGES, *(f"{who} {url}" for who, url in PAGES)],
            capture_output=True,
            text=True,
            env=env,
            cwd=settings.BASE_DIR,
            timeout=120,
            check=True,
        )
        restored_pages = json.loads(result.stdout)
        for who, url in PAGES:
            client = Client()
            client.force_login(User.objects.get(username=who))
            response = client.get(url)
            restored = restored_pages[f"{who} {url}"]
            assert response.status_code == 200 == restored[0], url
            assert _normalized(response.content.decode()) == _normalized(restored[1])
    finally:
        connection.close()
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{fresh}" WITH (FORCE)')
