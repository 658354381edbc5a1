"""A real task worker (`manage.py db_worker`) whose summary render hangs at "60% 排版",
as a render does when its worker is about to be killed: the crash test kills it there.

python -m tests.deploy.stuck_worker WORKER_ID
"""

import os
import sys
import threading

import django


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.core.management import call_command

    from assessments import reports

    def hanging_render(campaign, *, kind, progress, by):
        progress(60, "排版")
        threading.Event().wait()  # until killed

    reports.render_summary = hanging_render
    call_command(
        "db_worker",
        "--no-reload",
        "--no-startup-delay",
        "--interval",
        "0.2",
        "--worker-id",
        sys.argv[1],
        verbosity=0,
    )


if __name__ == "__main__":
    main()
