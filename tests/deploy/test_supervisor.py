"""The worker supervisor used by `make run` and `make serve`: restarts with backoff."""

import sys

from branches.management.commands.supervise_worker import supervise


def test_a_worker_that_exits_is_restarted_with_growing_pauses():
    logged, pauses = [], []
    restarts = supervise(
        [sys.executable, "-c", "import sys; sys.exit(3)"],
        backoff=0.5,
        max_backoff=1.5,
        max_restarts=4,
        log=logged.append,
        sleep=pauses.append,
    )
    assert restarts == 4
    assert pauses == [0.5, 1.0, 1.5, 1.5]  # doubles, capped
    assert all("exited with status 3" in line for line in logged)
    assert "restart #1 in 0.5 s" in logged[0]
    assert "not restarting" in logged[-1]


def test_the_command_restarts_db_worker(tmp_path, capsys):
    """Through manage.py: a db_worker that cannot start is started again and logged."""
    from django.core.management import call_command

    call_command(
        "supervise_worker", "--backoff", "0", "--max-restarts", "1", "--", "--no-such-option"
    )
    err = capsys.readouterr().err
    assert "starting: " in err and "db_worker --no-such-option" in err
    assert "restart #1" in err and "not restarting" in err
