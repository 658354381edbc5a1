"""打包全部支部报告: the task writes the zip to storage member by member, with progress,
and the download streams it from storage. The code path holds one PDF at a time: the
reports come from a generator, and each is let go before the next is read (checked by
counting the reports alive when the next one is made, not by timing)."""

import inspect
import io
import zipfile

import pytest
from django.urls import reverse

from assessments import reports
from assessments.models import ReportJob, StoredReport


@pytest.fixture
def two_signed(make_reviewed, tree):
    return make_reviewed(
        "zip-stream", {tree.a: {"1.1": "4", "1.2": "5"}, tree.b: {"1.1": "5", "1.2": "3"}}
    )


class Report(bytes):
    """A report's bytes that count how many of them are alive."""

    alive = 0

    def __new__(cls, value: bytes):
        Report.alive += 1
        return super().__new__(cls, value)

    def __del__(self):
        Report.alive -= 1


def test_the_zip_holds_one_report_in_memory_at_a_time(two_signed, monkeypatch):
    assert inspect.isgeneratorfunction(reports.zip_members)
    alive_when_made = []

    def branch_report(sheet, *, by=None):
        alive_when_made.append(Report.alive)
        return Report(f"%PDF-1.7 report of sheet {sheet.pk}".encode())

    monkeypatch.setattr(reports, "branch_report", branch_report)
    out = io.BytesIO()
    assert reports.write_branch_zip(two_signed, out) == 2
    # When each report is made, no earlier one is still held by anyone.
    assert alive_when_made == [0, 0] and Report.alive == 0
    names = zipfile.ZipFile(out).namelist()
    assert len(names) == 2 and all(n.endswith(".pdf") for n in names)


def test_the_task_writes_the_zip_to_storage_and_the_download_streams_it(
    two_signed, dept_admin, client
):
    client.force_login(dept_admin)
    response = client.post(reverse("report_start", args=[two_signed.pk, "branch_zip"]))
    job = ReportJob.objects.get(kind="branch_zip")
    assert response.url == reverse("report_job", args=[job.pk])
    assert (job.status, job.progress, job.message) == ("done", 100, "已完成")
    assert job.file.storage.exists(job.file.name) and job.file.name.endswith(".zip")

    page = client.get(response.url).content.decode()
    assert "下载压缩包" in page and "完整排名" not in page
    download = client.get(reverse("report_download", args=[job.pk]))
    assert download.streaming and download["Content-Type"] == "application/zip"
    assert "attachment" in download["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    names = archive.namelist()
    assert [n.split("-")[0] for n in names] == ["A", "B"]
    # Each member is the report stored for its sheet, the one every download gets.
    stored = {
        s.sheet.organization.code: s
        for s in StoredReport.objects.select_related("sheet__organization")
    }
    for name in names:
        with stored[name.split("-")[0]].file.open("rb") as handle:
            assert archive.read(name) == handle.read()
