"""Background tasks that wait out a busy embedded database instead of failing."""

import functools
import logging
import time

from django.db import OperationalError
from django_tasks_db.utils import is_locked_database_exception

logger = logging.getLogger(__name__)

LOCKED_ATTEMPTS = 5


def retry_locked(func):
    """Run the task again (up to LOCKED_ATTEMPTS times, backing off) when SQLite says
    "database is locked": a busy moment should delay a report, not fail it."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        for attempt in range(1, LOCKED_ATTEMPTS + 1):
            try:
                return func(*args, **kwargs)
            except OperationalError as exc:
                if attempt == LOCKED_ATTEMPTS or not is_locked_database_exception(exc):
                    raise
                logger.warning("%s: database is locked, attempt %d", func.__name__, attempt)
                time.sleep(0.5 * attempt)

    return wrapper
