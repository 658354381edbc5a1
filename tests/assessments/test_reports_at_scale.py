"""Pages and reports that hold as the branches grow: the leader summary is the same number
of pages for 300 branches as for 1,500 (its full ranking is the Excel ledger beside it,
with every branch, in the same order and rank), and the 结果运用 list pages with the same
questions to the database whatever the number of results.

The branches and their results are written straight to the tables (consolidating 1,500
signed sheets would test consolidation, not these pages); everything read is read through
HTTP."""

import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from assessments import reports, services
from assessments.models import BranchResult, CampaignObject, Consequence
from assessments.services.results.ranking import rank_results
from branches.models import Organization, OrgKind, tree_key
from branches.toolkit.params import LIST_PAGE_SIZE
from rubrics.models import RubricVersion


def _add_branches(parent: Organization, count: int, prefix: str) -> None:
    made = Organization.objects.bulk_create(
        Organization(
            code=f"{prefix}{n:05d}",
            name=f"{prefix}第{n:05d}作业区党支部",
            kind=OrgKind.BRANCH,
            parent=parent,
            tree_key=tree_key(parent.tree_key, f"{prefix}{n:05d}"),
            full_members=5 + n % 40,
        )
        for n in range(count)
    )
    for org in made:
        org.path, org.depth, org.enterprise_id = (
            f"{parent.path}{org.pk}/",
            parent.depth + 1,
            parent.enterprise_id,
        )
    Organization.objects.bulk_update(made, ["path", "depth", "enterprise"])


def _campaign_with_results(tree, dept_admin, name: str):
    """A Fuling campaign over every branch now in the tree, each with a result (grades
    and scores spread out) and the consequence its grade leads to."""
    version = RubricVersion.objects.get(rubric__code="fuling-2017")
    campaign = services.create_campaign(
        by=dept_admin,
        name=name,
        version=version,
        scope=tree.root,
        year=2026,
        quarter=None,
        template="fuling",
        start=timezone.localdate(),
    )
    services.open_campaign(campaign, by=dept_admin)
    orgs = Organization.objects.filter(kind=OrgKind.BRANCH, path__startswith=tree.root.path)
    results = []
    for n, org in enumerate(orgs.order_by("pk")):
        total = Decimal(50 + (n * 37) % 50) + Decimal("0.5")
        grade = "合格" if total >= 80 else "基本合格" if total >= 60 else "不合格"
        results.append(
            BranchResult(
                campaign=campaign,
                organization=org,
                source_note="抽查点评",
                total=total,
                max_total=100,
                grade=grade,
                original_grade=grade,
                passed=grade == "合格",
                inflated_self=n % 7 == 0,
                year=2026,
                rubric_code="fuling-2017",
            )
        )
    BranchResult.objects.bulk_create(results)
    rank_results(campaign)
    Consequence.objects.bulk_create(
        Consequence(result=r, rule="talk", text="对书记谈话提醒", basis="涪区委组〔2017〕86号")
        for r in BranchResult.objects.filter(campaign=campaign).exclude(grade="合格")
    )
    return campaign


def _summary_pdf(client, campaign) -> PdfReader:
    response = client.post(reverse("report_start", args=[campaign.pk, "summary"]))
    assert response.status_code == 302
    job = client.get(response.url)
    assert "已完成" in job.content.decode()
    download = re.search(r'href="([^"]+)"[^>]*>\s*<i[^>]*></i> 下载 PDF', job.content.decode())
    assert download
    pdf = client.get(download.group(1))
    content = b"".join(pdf.streaming_content) if pdf.streaming else pdf.content
    return PdfReader(io.BytesIO(content)), job.content.decode()


def _ranking_rows(client, campaign) -> list[tuple]:
    response = client.get(reverse("results_export", args=[campaign.pk]))
    book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    return list(book.worksheets[0].iter_rows(min_row=2, values_only=True))


@pytest.mark.django_db
def test_summary_pages_do_not_grow_with_branches_and_excel_has_every_branch(
    tree, dept_admin, client
):
    call_command("load_rubrics", verbosity=0)
    client.force_login(dept_admin)
    _add_branches(tree.e1, 298, "S")  # with 甲 and 乙: 300 branches
    small = _campaign_with_results(tree, dept_admin, "三百个支部")
    _add_branches(tree.e2, 1200, "L")
    large = _campaign_with_results(tree, dept_admin, "一千五百个支部")

    (small_pdf, _), (large_pdf, job) = _summary_pdf(client, small), _summary_pdf(client, large)
    assert len(large_pdf.pages) == len(small_pdf.pages) <= 8
    # The full ranking is offered beside the PDF: the results ledger's Excel export.
    assert f'id="report-ranking" href="{reverse("results_export", args=[large.pk])}"' in job
    text = "\n".join(page.extract_text() for page in large_pdf.pages)
    flat = re.sub(r"\s+", "", text)
    assert "共1500个党组织得出结果" in flat and "完整排名见附件" in flat

    rows = _ranking_rows(client, large)
    assert len(rows) == 1500 and len({r[1] for r in rows}) == 1500  # every branch once
    # The PDF's first and last ranks are the Excel's: one reader, one order.
    first, last = rows[0], rows[-1]
    assert f"{first[0]}{first[2]}" in flat and f"{last[0]}{last[2]}" in flat
    # Ranks as competitions give them: equal grade and score share one, the next skips.
    for above, row in enumerate(rows):
        assert row[0] == above + 1 or row[0] == rows[above - 1][0]


@pytest.mark.django_db
def test_summary_context_reads_slices_not_every_result(tree, dept_admin):
    """The summary's lists are excerpts with their totals: no list holds every result."""
    call_command("load_rubrics", verbosity=0)
    _add_branches(tree.e1, 498, "S")
    campaign = _campaign_with_results(tree, dept_admin, "五百个支部")
    context = reports.summary_context(campaign)
    ranking = context["ranking"]
    assert ranking["total"] == 500
    assert len(ranking["top"]) == len(ranking["bottom"]) == reports.SUMMARY_ROWS
    ranks = [r.rank for r in ranking["bottom"]]
    assert ranks == sorted(ranks) and ranks[-1] <= 500  # ties share a rank
    assert ranking["skipped"] == 500 - 2 * reports.SUMMARY_ROWS
    assert context["failing"].total > reports.SUMMARY_ROWS == len(context["failing"].rows)
    assert context["inflated"].more == context["inflated"].total - reports.SUMMARY_ROWS


@pytest.mark.django_db
def test_consequences_page_is_bounded_whatever_the_number_of_results(tree, dept_admin, client):
    call_command("load_rubrics", verbosity=0)
    client.force_login(dept_admin)
    _add_branches(tree.e1, 58, "S")
    small = _campaign_with_results(tree, dept_admin, "六十个支部")
    _add_branches(tree.e2, 540, "L")
    large = _campaign_with_results(tree, dept_admin, "六百个支部")

    captured_last: list = []

    def read(campaign, query=""):
        url = reverse("campaign_consequences", args=[campaign.pk]) + query
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200
        captured_last[:] = captured.captured_queries
        html = response.content.decode()
        body = re.search(r'id="consequences".*?<tbody>(.*?)</tbody>', html, re.S).group(1)
        return len(captured), len(re.findall(r"<tr\b", body)), html

    read(small)  # the first request of a session asks a few questions once
    small_queries, _, _ = read(small)
    large_queries, rows, html = read(large)
    assert large_queries == small_queries, "\n".join(q["sql"][:200] for q in captured_last)
    assert rows == LIST_PAGE_SIZE and "下一页" in html
    total = Consequence.objects.filter(result__campaign=large).count()
    # Past 5 pages the pager stops counting (the search below gives an exact count).
    assert total > 300 and "已超过 250 条" in html
    _, rows, html = read(large, "?q=L00007")
    assert rows == 1 and "L第00007作业区党支部" in html


@pytest.mark.django_db
def test_campaign_objects_and_an_organizations_children_page(tree, dept_admin, client):
    """Other lists found unbounded: a campaign's objects, an organization's children."""
    call_command("load_rubrics", verbosity=0)
    client.force_login(dept_admin)
    _add_branches(tree.e1, 250, "S")
    campaign = _campaign_with_results(tree, dept_admin, "二百五十个支部")

    def rows(html: str, table: str) -> int:
        body = re.search(rf'id="{table}".*?<tbody>(.*?)</tbody>', html, re.S).group(1)
        return len(re.findall(r"<tr\b", body))

    detail = client.get(reverse("campaign_detail", args=[campaign.pk])).content.decode()
    objects = CampaignObject.objects.filter(campaign=campaign)
    assert f"考评对象（{objects.count()} 个）" in detail
    assert rows(detail, "object-list") == 100 and "下一页" in detail
    last = client.get(reverse("campaign_detail", args=[campaign.pk]) + "?page=3").content.decode()
    assert 0 < rows(last, "object-list") <= 100 and "S00249" in last

    page = client.get(reverse("org_detail", args=[tree.e1.pk])).content.decode()
    children = re.search(r'<ul class="mb-0" id="children">(.*?)</ul>', page, re.S).group(1)
    assert "下级组织（251）" in page and children.count("<li>") == 100 and "下一页" in page
