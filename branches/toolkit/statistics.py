"""The database's table statistics, refreshed after bulk writes.

Query planners choose between indexes by how many rows they expect. PostgreSQL's
autovacuum refreshes its statistics by itself, a while after a change; SQLite never does:
without ``ANALYZE`` it guesses that any equality on an index is selective, and walked
every result of a campaign of 50,000 (0.2 s) to list a page of its consequences that its
organization index gives in a few milliseconds. A consolidation, an import or a tree
sync changes thousands of rows at once: each queues this task once it commits (about
0.1 s for 60,000 branches on SQLite)."""

from django.db import connection, transaction
from django.tasks import task


def refresh_statistics() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


@task()
def refresh_statistics_task() -> None:
    refresh_statistics()


def after_bulk_writes() -> None:
    """Refresh the statistics on the task worker once the current transaction commits."""
    transaction.on_commit(refresh_statistics_task.enqueue)
