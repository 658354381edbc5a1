"""Reclaiming tasks whose worker died (assessments/services/jobs.py), task by task: a
task of a beating worker is left alone however long it runs; an orphan is queued again
once, then failed; reminders are never sent twice; the jobs they serve say what happened."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from assessments.models import ReportJob
from assessments.services import jobs
from branches.models import AuditEntry, ImportJob, ImportStatus

LONG_AGO = timedelta(minutes=10)


def running_task(path: str, workers: list[str], **kwargs) -> DBTaskResult:
    return DBTaskResult.objects.create(
        status="RUNNING",
        args_kwargs={"args": [], "kwargs": kwargs},
        task_path=path,
        worker_ids=workers,
        backend_name="default",
        run_after=timezone.now() - LONG_AGO,
        started_at=timezone.now() - LONG_AGO,
    )


@pytest.mark.django_db
def test_a_long_task_of_a_beating_worker_is_left_alone(leader, campaign):
    job = ReportJob.objects.create(kind="summary", campaign=campaign, requested_by=leader)
    task = running_task("assessments.tasks.render_report", ["w1"], job_id=str(job.pk))
    jobs.beat(worker_id="w1", started_at=timezone.now() - LONG_AGO)
    assert jobs.reclaim_orphaned_tasks() == {}
    task.refresh_from_db()
    assert task.status == "RUNNING"


@pytest.mark.django_db
def test_an_orphaned_report_runs_once_more_then_fails_with_its_message(leader, campaign):
    job = ReportJob.objects.create(
        kind="summary", campaign=campaign, requested_by=leader, status="running", progress=60
    )
    task = running_task("assessments.tasks.render_report", ["dead"], job_id=str(job.pk))
    assert jobs.reclaim_orphaned_tasks() == {str(task.pk): "retried"}
    task.refresh_from_db()
    job.refresh_from_db()
    assert (task.status, task.started_at) == ("READY", None)
    assert (job.status, job.progress) == ("queued", 0) and "自动重试" in job.message
    assert jobs.reclaim_orphaned_tasks() == {}  # queued, not running: nothing to do

    DBTaskResult.objects.filter(pk=task.pk).update(
        status="RUNNING", worker_ids=["dead", "dead too"], started_at=timezone.now() - LONG_AGO
    )
    ReportJob.objects.filter(pk=job.pk).update(status="running", progress=60)
    assert jobs.reclaim_orphaned_tasks() == {str(task.pk): "failed"}
    task.refresh_from_db()
    job.refresh_from_db()
    assert task.status == "FAILED" and task.exception_class_path == jobs.LOST_CLASS_PATH
    assert job.status == "failed" and job.message == jobs.REPORT_LOST and job.finished_at
    changes = [
        e.changes["status"]["new"]
        for e in AuditEntry.objects.filter(object_id=job.pk).order_by("pk")
    ]
    assert changes == ["排队中", "失败"]


@pytest.mark.django_db
def test_reminders_are_not_sent_twice_and_imports_are_told(dept_admin):
    reminders = running_task("assessments.tasks.send_reminders", ["dead"], campaign_id=1)
    upload = ImportJob.objects.create(
        kind="organizations",
        status=ImportStatus.PENDING,
        created_by=dept_admin,
        filename="组织.xlsx",
        content=b"",
    )
    preview = running_task("branches.importing.preview_import", ["x", "y"], job_id=str(upload.pk))
    assert jobs.reclaim_orphaned_tasks() == {
        str(reminders.pk): "failed",
        str(preview.pk): "failed",
    }
    upload.refresh_from_db()
    assert upload.status == ImportStatus.REJECTED and "请重新上传" in upload.message
    (entry,) = AuditEntry.objects.filter(object_id=upload.pk)
    assert entry.changes["status"] == {"label": "状态", "old": "正在试导入", "new": "有错误"}


@pytest.mark.django_db
def test_a_task_just_claimed_is_not_taken_for_an_orphan(leader, campaign):
    task = running_task("assessments.tasks.render_report", ["starting"], job_id="x")
    DBTaskResult.objects.filter(pk=task.pk).update(started_at=timezone.now())
    assert jobs.reclaim_orphaned_tasks() == {}
