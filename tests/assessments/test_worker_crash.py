"""A worker killed in the middle of a render: the job is not left "60% 生成中：排版" for
ever. Real worker processes (`manage.py db_worker`) share the test database; the first two
hang at 60% and are killed with SIGKILL; the next worker finds the task orphaned (its
worker stopped beating), runs it once more, and when that run is orphaned too, marks the
job failed with its Chinese message; the requester presses 重试 and gets the PDF."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from assessments.models import ReportJob
from tests.assessments.test_reports import pdf_text, signed_sheet  # noqa: F401
from tests.deploy.postgres import url_for

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def database_url() -> str:
    name = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(name).resolve()}"
    return url_for(name)


def start_worker(var_dir: Path, worker_id: str, *, stuck: bool) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_VAR_DIR": str(var_dir),  # its media root is the test's
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "TASK_WORKER_HEARTBEAT_SECONDS": "1",
        "TASK_WORKER_LEASE_SECONDS": "3",
    }
    if stuck:
        command = [sys.executable, "-m", "tests.deploy.stuck_worker", worker_id]
    else:
        command = [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay"]
        command += ["--interval", "0.2", "--worker-id", worker_id, "--verbosity", "0"]
    return subprocess.Popen(command, cwd=django_settings.BASE_DIR, env=env)


def wait_for(condition, what: str, worker: subprocess.Popen, timeout: float = 90):
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        assert worker.poll() is None, f"the worker exited ({worker.returncode}) before {what}"
        assert time.monotonic() < deadline, f"not seen within {timeout:g} s: {what}"
        time.sleep(0.2)
    return found


def job_state(job_id) -> tuple[str, int, str]:
    job = ReportJob.objects.get(pk=job_id)
    return job.status, job.progress, job.message


def kill(worker: subprocess.Popen) -> None:
    os.kill(worker.pid, signal.SIGKILL)
    assert worker.wait(timeout=30) == -signal.SIGKILL


@pytest.mark.django_db(transaction=True)
def test_a_render_orphaned_by_a_killed_worker_is_retried_then_failed_then_retried_by_hand(
    signed_sheet,  # noqa: F811
    leader,
    client,
    settings,
    tmp_path,
):
    settings.TASKS = DB_TASKS
    client.force_login(leader)
    client.post(reverse("report_start", args=[signed_sheet.campaign_id, "summary"]))
    job = ReportJob.objects.get()
    page_url = reverse("report_job", args=[job.pk])
    # No worker has beaten yet: the page says the job waits for one.
    assert "后台处理进程当前没有运行" in client.get(page_url).content.decode()
    workers: list[subprocess.Popen] = []
    try:
        # The first worker takes the job and hangs at 60% 排版; SIGKILL.
        workers.append(start_worker(tmp_path, "first", stuck=True))
        wait_for(lambda: job_state(job.pk)[1:] == (60, "排版"), "60% 排版", workers[-1])
        page = client.get(page_url).content.decode()
        assert "60%" in page and "生成中：排版" in page and "后台处理进程当前没有运行" not in page
        kill(workers[-1])
        assert job_state(job.pk) == ("running", 60, "排版")  # what the crash leaves behind

        # The next worker finds the task orphaned and runs it once more (it hangs again).
        workers.append(start_worker(tmp_path, "second", stuck=True))
        task = wait_for(
            lambda: DBTaskResult.objects.filter(worker_ids=["first", "second"]).first(),
            "the task claimed again",
            workers[-1],
        )
        assert task.task_path == "assessments.tasks.render_report"
        wait_for(lambda: job_state(job.pk)[1:] == (60, "排版"), "60% again", workers[-1])
        assert "自动重试" not in job_state(job.pk)[2]

        # A real worker beside it leaves a long task alone while its worker beats: past
        # the lease (3 s) from the claim, the task is still the second worker's.
        workers.append(start_worker(tmp_path, "third", stuck=False))
        claimed = time.monotonic()
        wait_for(lambda: time.monotonic() > claimed + 6, "twice the lease", workers[-1])
        task.refresh_from_db()
        assert (task.status, task.worker_ids) == ("RUNNING", ["first", "second"])
        assert job_state(job.pk) == ("running", 60, "排版")

        # Orphaned a second time: the real worker marks it failed and the page says so.
        kill(workers[1])
        wait_for(lambda: job_state(job.pk)[0] == "failed", "the job failed", workers[-1])
        task.refresh_from_db()
        assert task.status == "FAILED" and "WorkerLost" in task.traceback
        page = client.get(page_url).content.decode()
        assert "失败：生成中断：处理这份报告的后台进程意外退出" in page
        assert 'id="report-retry"' in page and "重试" in page
        assert client.get(reverse("report_download", args=[job.pk])).status_code == 404

        # 重试: the running worker renders it.
        response = client.post(reverse("report_retry", args=[job.pk]))
        assert response["Location"] == page_url
        wait_for(lambda: job_state(job.pk)[0] == "done", "the retried job done", workers[-1])
        _, text = pdf_text(client.get(reverse("report_download", args=[job.pk])).content)
        assert "汇总报告" in text
        assert "重试" not in client.get(page_url).content.decode()
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
                worker.wait(timeout=30)


@pytest.mark.django_db
def test_only_a_failed_report_is_retried_and_only_by_its_requester(
    signed_sheet,  # noqa: F811
    leader,
    dept_admin,
    client,
):
    client.force_login(leader)
    client.post(reverse("report_start", args=[signed_sheet.campaign_id, "summary"]))
    job = ReportJob.objects.get()
    assert job.status == "done"
    page = client.post(reverse("report_retry", args=[job.pk]), follow=True).content.decode()
    assert "只有生成失败的报告可以重试" in page
    client.force_login(dept_admin)
    assert client.post(reverse("report_retry", args=[job.pk])).status_code == 404
    assert client.get(reverse("report_retry", args=[job.pk])).status_code == 405
