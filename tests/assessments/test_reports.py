"""PDF reports read back with pypdf, the background job, and exports without formulas."""

import io
import re

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from assessments import reports, services
from assessments.exports import ResultsExport
from assessments.models import ReportJob, StoredReport
from assessments.pdf import StaticOnlyFetcher, html_to_pdf
from branches.models import Organization
from tests.assessments.conftest import review_of


def pdf_text(content: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(content))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def embedded_fonts(reader: PdfReader) -> set[str]:
    names = set()
    for page in reader.pages:
        fonts = page["/Resources"].get("/Font", {})
        for font in fonts.values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            target = descendants[0].get_object() if descendants else font
            descriptor = target.get("/FontDescriptor")
            if descriptor and any(
                k in descriptor.get_object() for k in ("/FontFile", "/FontFile2", "/FontFile3")
            ):
                names.add(str(target["/BaseFont"]))
    return names


@pytest.fixture
def signed_sheet(make_reviewed, tree, secretary_a):
    return review_of(make_reviewed("xining-pdf", notes={"1.1": "党课少一次"}), tree.a)


def test_branch_report_has_chinese_text_cjk_font_and_page_footer(signed_sheet):
    content = reports.branch_report(signed_sheet)
    reader, text = pdf_text(content)
    assert "甲党支部考评报告" in text and "党课少一次" in text and "审核签发" in text
    assert signed_sheet.digest in text.replace("\n", "")
    assert any("Noto" in name and "CJK" in name for name in embedded_fonts(reader))
    pages = re.findall(r"第\s*(\d+)\s*页\s*共\s*(\d+)\s*页", text)
    assert pages and {int(total) for _, total in pages} == {len(reader.pages)}


def test_signed_report_is_stored_and_identical_every_time(signed_sheet, dept_admin, client):
    client.force_login(dept_admin)
    url = reverse("sheet_report", args=[signed_sheet.pk])
    first = client.get(url)
    second = client.get(url)
    assert first["Content-Type"] == "application/pdf"
    assert first.content == second.content
    assert StoredReport.objects.get(sheet=signed_sheet).sha256
    assert StoredReport.objects.get(sheet=signed_sheet).file.size == len(first.content)


def test_fuling_report_spans_pages_and_repeats_headers(tree, dept_admin, secretary_a, reviewer):
    from rubrics.models import RubricVersion

    call_command("load_rubrics", verbosity=0)
    version = RubricVersion.objects.get(rubric__code="fuling-2017")
    campaign = services.create_campaign(
        by=dept_admin,
        name="涪陵年度",
        version=version,
        scope=tree.root,
        year=2026,
        quarter=None,
        template="fuling",
        start=timezone.localdate(),
    )
    services.open_campaign(campaign, by=dept_admin)
    (sheet,) = services.assign_reviewers(
        campaign.stages.get(), by=dept_admin, reviewers=[reviewer], orgs=[tree.a]
    )
    reader, text = pdf_text(reports.branch_report(sheet))
    assert len(reader.pages) >= 3
    assert "本表尚未审核签发" in text
    assert text.count("编码") >= len(reader.pages) - 1  # the table header on each page


def test_hostile_names_render_as_text_and_nothing_is_fetched(signed_sheet, tree):
    Organization.objects.filter(pk=tree.a.pk).update(name='<img src="file:///etc/passwd">')
    signed_sheet.refresh_from_db()
    fetcher = StaticOnlyFetcher()
    _, text = pdf_text(reports.render_branch(signed_sheet, fetcher=fetcher))
    assert '<img src="file:///etc/passwd">' in text
    assert fetcher.refused == [] and fetcher.served == []
    # A document that does ask for outside resources gets none of them.
    hostile = (
        '<img src="file:///etc/passwd"><img src="http://10.0.0.1/x.png">'
        '<link rel="stylesheet" href="https://cdn.example.com/x.css">'
        '<img src="/static/vendor/bootstrap-icons/fonts/bootstrap-icons.woff2">'
    )
    fetcher = StaticOnlyFetcher()
    html_to_pdf(hostile, fetcher=fetcher)
    assert sorted(fetcher.refused) == sorted(
        ["file:///etc/passwd", "http://10.0.0.1/x.png", "https://cdn.example.com/x.css"]
    )
    assert len(fetcher.served) == 1 and "/static/" in fetcher.served[0]


def test_summary_job_runs_with_progress_and_downloads(signed_sheet, leader, client):
    client.force_login(leader)
    response = client.post(reverse("report_start", args=[signed_sheet.campaign_id, "summary"]))
    job = ReportJob.objects.get()
    assert response["Location"] == reverse("report_job", args=[job.pk])
    assert (job.status, job.progress) == ("done", 100)
    page = client.get(response["Location"]).content.decode()
    assert "100%" in page and "下载 PDF" in page
    _, text = pdf_text(client.get(reverse("report_download", args=[job.pk])).content)
    assert "2026年度考评汇总报告" in text and "各企业达标率" in text and "甲党支部" in text


def test_evaluation_report_and_command_line(signed_sheet, tmp_path):
    output = tmp_path / "evaluation.pdf"
    call_command(
        "render_report",
        "evaluation",
        str(signed_sheet.campaign_id),
        "--output",
        str(output),
        verbosity=0,
    )
    _, text = pdf_text(output.read_bytes())
    assert "总体评估报告" in text and "下一步工作" in text
    branch = tmp_path / "branch.pdf"
    call_command(
        "render_report", "branch", str(signed_sheet.pk), "--output", str(branch), verbosity=0
    )
    assert branch.read_bytes() == reports.branch_report(signed_sheet)


def test_failed_job_says_why(signed_sheet, leader, monkeypatch, client):
    def broken(*args, **kwargs):
        raise RuntimeError("字体缺失")

    monkeypatch.setattr(reports, "render_summary", broken)
    client.force_login(leader)
    response = client.post(
        reverse("report_start", args=[signed_sheet.campaign_id, "summary"]), follow=True
    )
    job = ReportJob.objects.get()
    assert job.status == "failed" and "字体缺失" in job.message
    page = response.content.decode()
    assert "报告生成失败" in page and "字体缺失" in page
    assert client.get(reverse("report_download", args=[job.pk])).status_code == 404


def test_export_never_writes_formulas(signed_sheet, dept_admin, tree):
    Organization.objects.filter(pk=tree.a.pk).update(name='=HYPERLINK("http://x","点我")')
    _, _, content = ResultsExport(by=dept_admin, campaign=signed_sheet.campaign).render()
    book = openpyxl.load_workbook(io.BytesIO(content))
    cells = [c for row in book.worksheets[0].iter_rows() for c in row]
    assert not [c for c in cells if c.data_type == "f"]
    assert '=HYPERLINK("http://x","点我")' in [c.value for c in cells]


def test_progress_and_consequence_lists_export(signed_sheet, dept_admin, client):
    client.force_login(dept_admin)
    campaign = signed_sheet.campaign
    progress = client.get(reverse("campaign_progress", args=[campaign.pk]) + "?format=xlsx")
    rows = list(
        openpyxl.load_workbook(io.BytesIO(progress.content))
        .worksheets[0]
        .iter_rows(values_only=True)
    )
    assert rows[0][:4] == ("阶段", "被考评组织", "打分人", "状态")
    assert ("督导检查", "甲党支部", "考评员", "已签发") in [r[:4] for r in rows[1:]]
    consequences = client.get(reverse("campaign_consequences", args=[campaign.pk]) + "?format=xlsx")
    rows = list(
        openpyxl.load_workbook(io.BytesIO(consequences.content))
        .worksheets[0]
        .iter_rows(values_only=True)
    )
    assert rows[0][0] == "组织"


def test_zip_of_every_branch_report(signed_sheet, dept_admin, client):
    import zipfile

    client.force_login(dept_admin)
    client.post(reverse("report_start", args=[signed_sheet.campaign_id, "branch_zip"]))
    job = ReportJob.objects.get(kind="branch_zip")
    assert job.status == "done"
    response = client.get(reverse("report_download", args=[job.pk]))
    assert response["Content-Type"] == "application/zip"
    assert response.streaming  # sent from storage in chunks
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    (name,) = archive.namelist()
    assert name.startswith("A-甲党支部-督导检查")
    assert archive.read(name) == reports.branch_report(signed_sheet)  # the stored report


@pytest.mark.django_db(transaction=True)
def test_the_database_worker_renders_a_queued_summary(signed_sheet, leader, client, settings):
    """The production path: the job is stored in the database queue, and `db_worker`
    (what `make run` starts) picks it up and renders it."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    client.force_login(leader)
    client.post(reverse("report_start", args=[signed_sheet.campaign_id, "summary"]))
    job = ReportJob.objects.get()
    assert job.status == "queued"
    page = client.get(reverse("report_job", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in page and "排队中" in page  # the page keeps polling
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    job.refresh_from_db()
    assert (job.status, job.progress) == ("done", 100)
    _, text = pdf_text(client.get(reverse("report_download", args=[job.pk])).content)
    assert "汇总报告" in text
