"""A task for the worker test: it writes down that it ran, and in which process."""

import os
import time

from django.tasks import task


@task()
def mark_run(*, number: int, path: str) -> int:
    time.sleep(0.05)  # long enough for both workers to be busy at once
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(f"{number} {os.getpid()}\n")
    return number
