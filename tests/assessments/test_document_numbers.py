"""The document register: the next 文号 per issuer, kind and year, never given twice.

The races run on PostgreSQL (row locks mean nothing on SQLite, which serializes every
write); the rules run on both."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from assessments import reports, services
from assessments.models import (
    Campaign,
    DocumentKind,
    DocumentSequence,
    IssuedDocument,
    ScoreSheet,
)
from branches.models import AuditEntry
from tests.assessments.conftest import review_of, self_sheet
from tests.assessments.test_concurrency import race

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row locks and races need PostgreSQL (set DATABASE_URL)",
)


def _issue(campaign, by, digest: str, kind: str = DocumentKind.SUMMARY):
    return services.issue_document(
        Campaign.objects.select_related("scope").get(pk=campaign.pk),
        by=by,
        kind=kind,
        title="汇总报告",
        content_digest=digest,
    )


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_six_documents_issued_at_once_get_six_distinct_numbers(campaign, dept_admin):
    results, errors = race(*[lambda n=n: _issue(campaign, dept_admin, f"d{n}") for n in range(6)])
    assert not errors, errors
    assert sorted(d.sequence for d in results) == [1, 2, 3, 4, 5, 6]
    assert len({d.number for d in results}) == 6
    assert DocumentSequence.objects.get(kind=DocumentKind.SUMMARY).last == 6


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_signed_report_downloaded_twice_at_once_is_one_document(make_reviewed, tree, dept_admin):
    sheet = review_of(make_reviewed("race-pdf"), tree.a)
    results, errors = race(
        lambda: reports.branch_report(ScoreSheet.objects.get(pk=sheet.pk), by=dept_admin),
        lambda: reports.branch_report(ScoreSheet.objects.get(pk=sheet.pk), by=dept_admin),
    )
    assert not errors, errors
    assert IssuedDocument.objects.filter(sheet=sheet).count() == 1
    assert DocumentSequence.objects.get(kind=DocumentKind.BRANCH).last == 1
    number = IssuedDocument.objects.get(sheet=sheet).number
    assert all(number in reports_text(content) for content in results)


def reports_text(content: bytes) -> str:
    from tests.assessments.test_reports import pdf_text

    return pdf_text(content)[1].replace("\n", "")


@pytest.mark.django_db
def test_each_kind_has_its_own_series_and_a_number_is_never_given_twice(campaign, dept_admin):
    first = _issue(campaign, dept_admin, "a")
    second = _issue(campaign, dept_admin, "b")
    evaluation = _issue(campaign, dept_admin, "a", kind=DocumentKind.EVALUATION)
    assert (first.number, second.number) == ("党考汇〔2026〕1号", "党考汇〔2026〕2号")
    assert evaluation.number == "党考总〔2026〕1号"
    # Content back to what the first said: a new document (only the last one is reused).
    assert _issue(campaign, dept_admin, "a").number == "党考汇〔2026〕3号"
    # The same content as the last one: the same document, no new number.
    assert _issue(campaign, dept_admin, "a").pk == IssuedDocument.objects.order_by("pk").last().pk
    with pytest.raises(IntegrityError), transaction.atomic():
        IssuedDocument.objects.create(
            issuer=first.issuer,
            issuer_name="x",
            kind=DocumentKind.SUMMARY,
            year=2026,
            sequence=1,
            title="重号",
            campaign=campaign,
        )
    # Each number given is audited: who, which number, to which document.
    entry = AuditEntry.objects.get(model="发文登记", object_id=str(first.pk))
    assert entry.action == "create" and entry.actor == dept_admin
    assert entry.changes["number"]["new"] == "党考汇〔2026〕1号"


@pytest.mark.django_db
def test_an_unsigned_sheet_report_is_not_numbered(campaign, secretary_a, tree):
    sheet = self_sheet(campaign, tree.a)
    with pytest.raises(services.AssessmentError):
        services.issue_document(
            campaign, by=secretary_a, kind=DocumentKind.BRANCH, title="草稿", sheet=sheet
        )
    text = reports_text(reports.branch_report(sheet, by=secretary_a))
    assert "本表尚未审核签发" in text and "〔2026〕" not in text
    assert not IssuedDocument.objects.exists()


@pytest.mark.django_db
def test_a_summary_keeps_its_number_and_file_until_its_content_changes(make_reviewed, leader):
    campaign = make_reviewed("summary-numbers")
    first = reports.render_summary(campaign, by=leader)
    assert reports.render_summary(campaign, by=leader) == first  # the stored document
    (document,) = IssuedDocument.objects.all()
    assert document.number in reports_text(first) and document.issued_by == leader
    assert document.file and document.sha256
    Campaign.objects.filter(pk=campaign.pk).update(name="2026年度考评（更正）")
    campaign.refresh_from_db()
    changed = reports_text(reports.render_summary(campaign, by=leader))
    assert "党考汇〔2026〕2号" in changed and "更正" in changed
    assert IssuedDocument.objects.count() == 2


@pytest.mark.django_db
def test_one_issuer_name_for_the_deployment_numbers_in_one_series(
    settings, tree, dept_admin, version
):
    """REPORT_ISSUER prints one issuer for every campaign: an enterprise's campaign then
    takes its numbers from the top organization's series, so no printed 文号 repeats."""
    settings.REPORT_ISSUER = "中共华西集团委员会"
    from datetime import date

    campaigns = [
        services.create_campaign(
            by=dept_admin,
            name=name,
            version=version,
            scope=scope,
            year=2026,
            quarter=None,
            template="standardization",
            start=date(2026, 3, 1),
        )
        for name, scope in (("集团考评", tree.root), ("一公司考评", tree.e1))
    ]
    numbers = [_issue(c, dept_admin, "x").number for c in campaigns]
    assert numbers == ["党考汇〔2026〕1号", "党考汇〔2026〕2号"]
    assert {d.issuer_id for d in IssuedDocument.objects.all()} == {tree.root.pk}


@pytest.mark.django_db
def test_register_page_is_scoped_paged_and_reads_in_few_queries(
    client, tree, dept_admin, dept_admin_e2, auditor, version, django_assert_max_num_queries
):
    from datetime import date

    root_campaign, e2_campaign = (
        services.create_campaign(
            by=dept_admin,
            name=name,
            version=version,
            scope=scope,
            year=2026,
            quarter=None,
            template="standardization",
            start=date(2026, 3, 1),
        )
        for name, scope in (("集团考评", tree.root), ("二公司考评", tree.e2))
    )
    for n in range(55):
        _issue(root_campaign, dept_admin, f"r{n}")
    _issue(e2_campaign, dept_admin_e2, "e2")
    client.force_login(auditor)
    with django_assert_max_num_queries(9):  # 8, and the header's unread notices count
        page = client.get(reverse("document_register"))
    text = page.content.decode()
    assert "第 1 / 2 页，共 56 条" in text and "党考汇〔2026〕55号" in text
    second = client.get(reverse("document_register") + "?page=2").content.decode()
    assert "党考汇〔2026〕1号" in second
    # The enterprise's department reads its own enterprise's documents only.
    client.force_login(dept_admin_e2)
    text = client.get(reverse("document_register")).content.decode()
    assert "共 1 条" in text and "二公司党委" in text and "华西集团党委" not in text


@pytest.mark.django_db
def test_migration_records_stored_reports_with_the_number_they_carry(
    make_reviewed, tree, dept_admin
):
    """Reports stored before the register printed the sheet's id: migration 0018 records
    each with that number and starts the series after it, so it is never given again."""
    import importlib

    from django.apps import apps
    from django.core.files.base import ContentFile

    from assessments.models import StoredReport

    migration = importlib.import_module("assessments.migrations.0018_document_register")
    sheet = review_of(make_reviewed("migrated"), tree.a)
    stored = StoredReport(sheet=sheet, sha256="0" * 64)
    stored.file.save("report.pdf", ContentFile(b"%PDF-old"), save=False)
    stored.save()
    migration.register_stored_reports(apps, None)
    (old,) = IssuedDocument.objects.all()
    assert (old.sheet, old.sequence, old.number) == (sheet, sheet.pk, f"党考〔2026〕{sheet.pk}号")
    assert old.issued_by == dept_admin  # who signed it
    other = review_of(make_reviewed("migrated-2", name="另一考评"), tree.a)
    reports.branch_report(other, by=dept_admin)
    assert IssuedDocument.objects.get(sheet=other).sequence == sheet.pk + 1


@pytest.mark.django_db
def test_without_a_prefix_nothing_is_printed_but_the_register_still_counts(
    settings, campaign, dept_admin
):
    settings.REPORT_DOC_PREFIX = ""
    first, second = _issue(campaign, dept_admin, "a"), _issue(campaign, dept_admin, "b")
    assert (first.number, first.sequence, second.sequence) == ("", 1, 2)
