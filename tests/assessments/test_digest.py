"""The sign-off digest is checked wherever a signed sheet is shown, exported or
consolidated. Tampering is simulated by writing the database
directly, as an attacker with database access would: the one legitimate model write here."""

import io
import zipfile

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments import reports, services
from assessments.models import BranchResult, SheetEntry
from tests.assessments.conftest import review_of, simple_version
from tests.conftest import open_every_stage


@pytest.fixture
def signed(make_reviewed, tree):
    return review_of(make_reviewed("digest", consolidate=False), tree.a)


def tamper(sheet):
    SheetEntry.objects.filter(sheet=sheet, code="1.2").update(value=1)


def test_untouched_sheet_shows_no_warning(signed, dept_admin, client):
    client.force_login(dept_admin)
    page = client.get(reverse("sheet_detail", args=[signed.pk])).content.decode()
    assert "data-tampered" not in page
    assert not services.tampered(signed)


def test_tampered_sheet_page_shows_a_red_warning_naming_it(signed, dept_admin, client):
    tamper(signed)
    client.force_login(dept_admin)
    page = client.get(reverse("sheet_detail", args=[signed.pk])).content.decode()
    assert 'class="alert alert-danger fw-bold" role="alert" data-tampered' in page
    assert f"考评表“{signed}”（编号 {signed.pk}）的内容与签发时记录的摘要不一致" in page


@pytest.mark.parametrize("name", ["sheet_xlsx", "sheet_report"])
def test_tampered_sheet_is_not_exported(signed, dept_admin, client, name):
    tamper(signed)
    client.force_login(dept_admin)
    response = client.get(reverse(name, args=[signed.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("sheet_detail", args=[signed.pk])
    assert "摘要不一致" in response.content.decode()


def _zip(campaign) -> zipfile.ZipFile:
    out = io.BytesIO()
    reports.write_branch_zip(campaign, out)
    out.seek(0)
    return zipfile.ZipFile(out)


def test_tampered_sheet_is_left_out_of_the_report_zip(signed):
    tamper(signed)
    archive = _zip(signed.campaign)
    (name,) = archive.namelist()
    assert name.startswith("警告-") and name.endswith(".txt")
    assert "摘要不一致" in archive.read(name).decode()


def test_consolidation_refuses_a_tampered_sheet(signed, dept_admin, client):
    tamper(signed)
    with pytest.raises(services.AssessmentError, match=f"“{signed}”（编号 {signed.pk}）"):
        services.consolidate(signed.campaign, by=dept_admin)
    client.force_login(dept_admin)
    response = client.post(reverse("campaign_consolidate", args=[signed.campaign_id]), follow=True)
    assert "摘要不一致" in response.content.decode() and str(signed) in response.content.decode()
    assert not BranchResult.objects.exists()


def test_zip_member_names_are_cleaned():
    assert reports.member_name('..\\..\\a<b>:c"d|e?f*g/h') == "___a_b__c_d_e_f_g_h"
    assert reports.member_name("...") == "报告"
    assert reports.member_name("甲党支部-督导检查-7") == "甲党支部-督导检查-7"


def test_report_zip_member_names_carry_no_path_or_reserved_characters(signed):
    from branches.models import Organization

    Organization.objects.filter(pk=signed.organization_id).update(name='..\\甲<支>:部"|?*')
    archive = _zip(signed.campaign)
    (name,) = archive.namelist()
    assert name.endswith(".pdf") and "甲" in name
    assert not set('\\/<>:"|?*') & set(name) and ".." not in name


def test_sign_off_refuses_a_total_that_disagrees_with_the_entries(tree, dept_admin, reviewer):
    """A submitted sheet whose entries changed underneath (an attacker, or the old
    autosave/submit race) is not signed: sign-off scores what is stored under the lock."""
    from assessments.models import ScoreSheet, SheetStatus

    campaign = services.create_campaign(
        by=dept_admin,
        name="签发校验",
        version=simple_version("sign-check"),
        scope=tree.root,
        year=2026,
        quarter=None,
        template="standardization",
        start=timezone.localdate(),
    )
    open_every_stage(campaign)
    services.open_campaign(campaign, by=dept_admin)
    (sheet,) = services.assign_reviewers(
        campaign.stages.get(position=1), by=dept_admin, reviewers=[reviewer], orgs=[tree.a]
    )
    services.save_entries(
        sheet, by=reviewer, revision=sheet.revision, values={"1.1": "4", "1.2": "5"}
    )
    sheet.refresh_from_db()
    services.submit_sheet(sheet, by=reviewer)
    tamper(sheet)
    with pytest.raises(services.AssessmentError, match="合计分与各项得分不一致"):
        services.sign_sheet(sheet, by=dept_admin)
    assert ScoreSheet.objects.get(pk=sheet.pk).status == SheetStatus.SUBMITTED
