"""After a bulk write the planner's statistics are refreshed on the task worker: without
them SQLite walks a whole campaign to list one page (see branches/toolkit/statistics.py)."""

import io

import pytest
from django.db import connection

from branches.importers import OrganizationImport
from branches.models import Organization


def _analyzed() -> bool:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
            if not cursor.fetchone():
                return False
            cursor.execute(
                "SELECT count(*) FROM sqlite_stat1 WHERE tbl = %s",
                [Organization._meta.db_table],
            )
        else:
            cursor.execute(
                "SELECT count(*) FROM pg_stats WHERE tablename = %s",
                [Organization._meta.db_table],
            )
        return cursor.fetchone()[0] > 0


def test_a_tree_import_refreshes_the_statistics_once_it_commits(
    tree, dept_admin, django_capture_on_commit_callbacks
):
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
            if cursor.fetchone():
                cursor.execute("DELETE FROM sqlite_stat1")
    rows = [(n, [f"ST{n:03d}", f"统计{n}支部", "党支部", tree.g.code]) for n in range(2, 40)]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        report = OrganizationImport(by=dept_admin, problems={}).run(
            ["编码", "名称", "类型", "上级编码"], rows, dry_run=False
        )
    assert all(r["action"] != "error" for r in report)
    assert len(callbacks) == 1  # one refresh for the whole import
    assert _analyzed()


def test_the_command_refreshes_the_statistics(tree):
    from django.core.management import call_command

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
            if cursor.fetchone():
                cursor.execute("DELETE FROM sqlite_stat1")
    out = io.StringIO()
    call_command("refresh_statistics", stdout=out)
    assert "已刷新" in out.getvalue() and _analyzed()


def _forget_statistics() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
            if cursor.fetchone():
                cursor.execute("DELETE FROM sqlite_stat1")


def test_a_migrate_that_applied_migrations_refreshes_the_statistics(tree):
    """A new index has no statistics until ANALYZE: SQLite then took one for the best and
    read a campaign's whole ranking through it. After a migrate that applied something
    (an upgrade) they are refreshed; a migrate with nothing to do leaves them."""
    from django.apps import apps
    from django.db.migrations import Migration
    from django.db.models.signals import post_migrate

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL's statistics cannot be forgotten here to see them return")
    branches = apps.get_app_config("branches")
    _forget_statistics()
    post_migrate.send(sender=branches, app_config=branches, using="default", plan=[])
    assert not _analyzed()
    post_migrate.send(
        sender=branches,
        app_config=branches,
        using="default",
        plan=[(Migration("0019_kind_tree_index", "branches"), False)],
    )
    assert _analyzed()
