"""Hostile uploads, numbers and query parameters give a Chinese 400 or form error, never a
500 and never a long echo."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assessments import offline
from assessments.models import ScoreSheet
from branches.toolkit.spreadsheets import SpreadsheetError, read_xlsx
from tests.assessments.conftest import self_sheet
from tests.conftest import make_rubric


def rewrite(content: bytes, part: str, transform) -> bytes:
    """The same workbook with one XML part replaced by transform(old bytes)."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            target.writestr(info, transform(data) if info.filename == part else data)
    return out.getvalue()


def utf16_with(declaration: str):
    def transform(xml: bytes) -> bytes:
        text = xml.decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"')
        head, _, body = text.partition("?>")
        return (head + "?>" + declaration + body).encode("utf-16")

    return transform


def plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    return out.getvalue()


@pytest.fixture
def downloaded(campaign, tree):
    sheet = self_sheet(campaign, tree.a)
    sheet = ScoreSheet.objects.select_related("rubric_version__rubric").get(pk=sheet.pk)
    return sheet, offline.download(sheet)[1]


def hostile_files(content: bytes) -> dict[str, bytes]:
    return {
        "utf16-dtd": rewrite(
            content, "xl/worksheets/sheet1.xml", utf16_with("<!DOCTYPE x [<!ELEMENT x ANY>]>")
        ),
        "utf16-entity": rewrite(
            content, "xl/workbook.xml", utf16_with('<!DOCTYPE x [<!ENTITY e "boom">]>')
        ),
        "utf16-plain": rewrite(content, "xl/workbook.xml", utf16_with("")),
        "plain-zip": plain_zip(),
        "not-a-zip": b"%PDF-1.4 nothing",
    }


@pytest.mark.parametrize(
    "kind", ["utf16-dtd", "utf16-entity", "utf16-plain", "plain-zip", "not-a-zip"]
)
def test_offline_upload_of_a_hostile_file_is_refused_in_chinese(
    client, downloaded, secretary_a, kind
):
    sheet, content = downloaded
    client.force_login(secretary_a)
    response = client.post(
        reverse("sheet_upload", args=[sheet.pk]),
        {"file": SimpleUploadedFile("x.xlsx", hostile_files(content)[kind])},
        follow=True,
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "alert-danger" in page or "alert-warning" in page
    assert any(word in page for word in ("已拒绝", "无法读取", "不是有效", "没有“考评表信息”"))
    assert not ScoreSheet.objects.get(pk=sheet.pk).entries.exists()


@pytest.mark.parametrize("kind", ["utf16-dtd", "utf16-entity", "plain-zip"])
def test_the_guarded_reader_refuses_utf16_declarations_and_non_workbooks(downloaded, kind):
    _, content = downloaded
    with pytest.raises(SpreadsheetError):
        read_xlsx(hostile_files(content)[kind])


@pytest.mark.parametrize("kind", ["utf16-dtd", "utf16-entity", "utf16-plain", "plain-zip"])
def test_rubric_import_of_a_hostile_file_is_a_form_error(client, downloaded, dept_admin, kind):
    _, content = downloaded
    make_rubric("demo-rubric")
    client.force_login(dept_admin)
    response = client.post(
        reverse("rubric_import", args=["demo-rubric", 2]),
        {"file": SimpleUploadedFile("v.xlsx", hostile_files(content)[kind])},
    )
    assert response.status_code == 200
    assert "invalid-feedback" in response.content.decode() or "errorlist" in (
        response.content.decode()
    )


@pytest.mark.parametrize("value", ["1E+999999999", "1e309", "NaN", "Infinity", "1E-999999"])
def test_autosave_of_an_absurd_number_is_a_field_error_not_an_echo(
    client, campaign, tree, secretary_a, value
):
    sheet = self_sheet(campaign, tree.a)
    client.force_login(secretary_a)
    response = client.post(
        reverse("sheet_autosave", args=[sheet.pk]),
        {"revision": sheet.revision, "v_1.1": value},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "不是数字" in page
    assert "0" * 50 not in page and "9" * 50 not in page
    assert not ScoreSheet.objects.get(pk=sheet.pk).entries.filter(code="1.1").exists()


def test_autosave_of_a_long_value_echoes_it_cut_short(client, campaign, tree, secretary_a):
    sheet = self_sheet(campaign, tree.a)
    client.force_login(secretary_a)
    response = client.post(
        reverse("sheet_autosave", args=[sheet.pk]),
        {"revision": sheet.revision, "v_1.1": "7" * 400},
    )
    assert response.status_code == 200 and "7" * 21 not in response.content.decode()


@pytest.mark.parametrize("value", ["abc", "99999999999999999999999", "-1", "٣", "1.5"])
@pytest.mark.parametrize(
    ("name", "param"),
    [
        ("rectification_list", "org"),
        ("rectification_list", "campaign"),
        ("campaign_ledger", "enterprise"),
        ("campaign_progress", "enterprise"),
        ("org_create", "parent"),
    ],
)
def test_a_bad_id_in_a_list_view_is_a_400_in_chinese(
    client, campaign, dept_admin, name, param, value
):
    client.force_login(dept_admin)
    args = [] if name in ("rectification_list", "org_create") else [campaign.pk]
    response = client.get(reverse(name, args=args), {param: value})
    assert response.status_code == 400
    page = response.content.decode()
    assert f"参数“{param}”" in page and "请求有误" in page
    assert value[:21] not in page or len(value) <= 20


def test_a_bad_diff_version_is_a_400(client, dept_admin):
    make_rubric("demo-rubric")
    client.force_login(dept_admin)
    url = reverse("rubric_diff", args=["demo-rubric"])
    assert client.get(url + "?a=abc&b=1").status_code == 400
    assert client.get(url + "?a=1&b=" + "9" * 40).status_code == 400


@pytest.mark.parametrize(
    ("name", "stored"),
    [
        ("evil.html", "evil.pdf"),
        ("evil", "evil.pdf"),
        ("记录.PDF", "记录.pdf"),
        (".htaccess", ".htaccess.pdf"),
    ],
)
def test_evidence_is_stored_and_served_with_the_sniffed_types_extension(
    client, campaign, tree, secretary_a, name, stored
):
    """A PDF/HTML polyglot named evil.html downloads as evil.pdf, stored as .pdf."""
    from assessments.models import Evidence

    polyglot = b"%PDF-1.4\n<html><script>alert(1)</script></html>\n%%EOF"
    sheet = self_sheet(campaign, tree.a)
    client.force_login(secretary_a)
    client.post(
        reverse("evidence_upload", args=[sheet.pk]),
        {"code": "1.1", "file": SimpleUploadedFile(name, polyglot, "text/html")},
    )
    evidence = Evidence.objects.get()
    assert evidence.original_name == stored
    assert evidence.file.name.endswith(".pdf")
    response = client.get(reverse("evidence_download", args=[evidence.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert ".html" not in response["Content-Disposition"]
    assert "pdf" in response["Content-Disposition"]


def test_a_nul_character_anywhere_is_a_400(client, campaign, tree, secretary_a):
    sheet = self_sheet(campaign, tree.a)
    client.force_login(secretary_a)
    response = client.post(
        reverse("sheet_autosave", args=[sheet.pk]),
        {"revision": sheet.revision, "v_1.1": "3", "n_1.1": "a\x00b"},
    )
    assert response.status_code == 400 and "NUL" in response.content.decode()
    assert client.get(reverse("rectification_list"), {"q": "\x00"}).status_code == 400
    assert not ScoreSheet.objects.get(pk=sheet.pk).entries.exists()
