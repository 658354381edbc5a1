"""Offline .xlsx round trip, evidence uploads, and the sheet page's query bound."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from assessments import offline, services
from assessments.models import Evidence, ScoreSheet
from assessments.services import AssessmentError, Conflict
from rubrics.models import RubricVersion
from tests.assessments.conftest import fill, self_sheet


def filled_workbook(sheet, values: dict[str, object], notes=None) -> bytes:
    _, content = offline.download(sheet)
    book = openpyxl.load_workbook(io.BytesIO(content))
    ws = book["评分表"]
    for row in ws.iter_rows(min_row=2):
        code = row[0].value
        if code in values:
            row[6].value = values[code]
        if notes and code in notes:
            row[7].value = notes[code]
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_offline_round_trip(campaign, tree, secretary_a):
    sheet = self_sheet(campaign, tree.a)
    content = filled_workbook(sheet, {"1.1": 4.5, "1.2": "5"}, notes={"1.1": "党课少一次"})
    saved = offline.upload(sheet, by=secretary_a, content=content)
    assert saved.result.total == 9.5
    assert sheet.entries.get(code="1.1").note == "党课少一次"
    sheet.refresh_from_db()
    _, again = offline.download(sheet)
    rows = list(openpyxl.load_workbook(io.BytesIO(again))["评分表"].iter_rows(values_only=True))
    assert [r[6] for r in rows[1:3]] == [4.5, 5]  # entered scores are numbers in Excel


def test_offline_upload_is_all_or_nothing(campaign, tree, secretary_a):
    sheet = self_sheet(campaign, tree.a)
    content = filled_workbook(sheet, {"1.1": 4, "1.2": 6})
    with pytest.raises(AssessmentError, match=r"未保存任何数据：1\.2：6 超出范围"):
        offline.upload(sheet, by=secretary_a, content=content)
    assert not sheet.entries.exists()


def test_offline_upload_of_a_stale_download_is_a_conflict(campaign, tree, secretary_a):
    sheet = self_sheet(campaign, tree.a)
    stale = filled_workbook(sheet, {"1.1": 1, "1.2": 1})
    fill(sheet, secretary_a, {"1.1": "5"})
    sheet.refresh_from_db()
    with pytest.raises(Conflict):
        offline.upload(sheet, by=secretary_a, content=stale)
    assert sheet.entries.get(code="1.1").value == 5


def test_offline_upload_of_another_sheet_is_refused(campaign, tree, secretary_a, secretary_b):
    other = filled_workbook(self_sheet(campaign, tree.b), {"1.1": 1})
    with pytest.raises(AssessmentError, match="编号不符"):
        offline.upload(self_sheet(campaign, tree.a), by=secretary_a, content=other)


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_evidence_is_checked_by_content_and_served_only_to_those_allowed(
    campaign, tree, secretary_a, secretary_b, dept_admin, client
):
    sheet = self_sheet(campaign, tree.a)
    client.force_login(secretary_a)
    url = reverse("evidence_upload", args=[sheet.pk])
    fake = SimpleUploadedFile("材料.pdf", b"MZ\x90\x00 this is an exe", "application/pdf")
    page = client.post(url, {"code": "1.1", "file": fake}, follow=True).content.decode()
    assert "只接受 PDF" in page and not Evidence.objects.exists()
    real = SimpleUploadedFile("支委会记录.pdf", PDF, "application/octet-stream")
    page = client.post(url, {"code": "1.1", "file": real}, follow=True).content.decode()
    evidence = Evidence.objects.get()
    assert evidence.content_type == "application/pdf" and "支委会记录.pdf" in page
    assert "static" not in evidence.file.path and evidence.file.name.startswith("evidence/")
    download = client.get(reverse("evidence_download", args=[evidence.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    client.force_login(dept_admin)
    assert client.get(reverse("evidence_download", args=[evidence.pk])).status_code == 200
    client.force_login(secretary_b)
    assert client.get(reverse("evidence_download", args=[evidence.pk])).status_code == 404


def test_evidence_size_limit(campaign, tree, secretary_a):
    with pytest.raises(AssessmentError, match="上限为 10 MB"):
        services.add_evidence(
            self_sheet(campaign, tree.a),
            by=secretary_a,
            code="",
            name="big.pdf",
            content=PDF + b"0" * (10 * 1024 * 1024),
        )


@pytest.fixture
def fuling_sheet(tree, dept_admin, secretary_a, secretary_b):
    call_command("load_rubrics", verbosity=0)
    version = RubricVersion.objects.get(rubric__code="fuling-2017")
    campaign = services.create_campaign(
        by=dept_admin,
        name="涪陵年度",
        version=version,
        scope=tree.root,
        year=2026,
        quarter=None,
        template="standardization",
        start=timezone.localdate(),
    )
    services.open_campaign(campaign, by=dept_admin)
    return ScoreSheet.objects.get(campaign=campaign, organization=tree.a)


def test_fuling_sheet_page_renders_in_bounded_queries(
    fuling_sheet, secretary_a, client, django_assert_max_num_queries
):
    fill(fuling_sheet, secretary_a, {"1.1": "1", "4.1.a": "3", "7.4.b": "0.5"})
    client.force_login(secretary_a)
    url = reverse("sheet_detail", args=[fuling_sheet.pk])
    client.get(url)
    with django_assert_max_num_queries(20):  # 18 measured: constant, not per item
        response = client.get(url)
    page = response.content.decode()
    assert page.count('aria-label="') > 55 and "4.1.a" in page
    assert 'name="v_4.1.a" value="3"' in page
