"""The database's table statistics, refreshed after bulk writes.

Query planners choose between indexes by how many rows they expect. PostgreSQL's
autovacuum refreshes its statistics by itself, a while after a change; SQLite never does:
without ``ANALYZE`` it guesses that any equality on an index is selective, and walked
every result of a campaign of 50,000 (0.2 s) to list a page of its consequences that its
organization index gives in a few milliseconds. A consolidation, an import or a tree
sync changes thousands of rows at once: each queues this task once it commits (about
0.1 s for 60,000 branches on SQLite). A migrate that applied migrations refreshes them too:
SQLite weighs an index it has no statistics for (a new one) as if it were the best, and
read a campaign's whole ranking through one to show a page of it (0.4 s at 50,000)."""

from django.db import connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.tasks import task


def refresh_statistics(using: BaseDatabaseWrapper = connection) -> None:
    with using.cursor() as cursor:
        cursor.execute("ANALYZE")


@task()
def refresh_statistics_task() -> None:
    refresh_statistics()


def after_bulk_writes() -> None:
    """Refresh the statistics on the task worker once the current transaction commits."""
    transaction.on_commit(refresh_statistics_task.enqueue)
