"""`make bench`: speed measurements, printed as a table (never asserted in tests).

Runs against a throw-away SQLite database under a temporary DJANGO_VAR_DIR:
- the Fuling score sheet page (55 items, parts, side-by-side) for a secretary, beside a
  plain page that renders a 55-row table through the same middleware and base template;
- the branch report and a 1,000-branch summary PDF; consolidation at 10,000 branches;
- a load test on the embedded default (SQLite): 20 users autosaving through a real
  `runserver` on 127.0.0.1, one user downloading a draft sheet's PDF in a loop, and the
  task worker rendering a report meanwhile (errors counted, worker checked alive).

- importing 10,000 branches from .xlsx (dry run, then confirm) beside the floor: reading
  the same file with openpyxl and one bulk insert. `BENCH_ONLY=import` runs only this one.

`python -m tests.bench load` runs the load test alone.
"""

import os
import statistics
import sys
import tempfile
import time

os.environ["DJANGO_VAR_DIR"] = tempfile.mkdtemp(prefix="kaoping-bench-")
os.environ.pop("DATABASE_URL", None)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
sys.path.insert(0, os.getcwd())

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.shortcuts import render  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import include, path  # noqa: E402
from django.utils import timezone  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "40"))
BRANCHES = int(os.environ.get("BENCH_BRANCHES", "10000"))


def plain_page(request) -> HttpResponse:
    rows = [(f"{n // 10 + 1}.{n % 10 + 1}", f"第 {n + 1} 项指标内容" * 3, 2) for n in range(55)]
    return render(request, "bench/plain.html", {"rows": rows})


urlpatterns = [
    path("bench/plain/", plain_page),
    path("", include("config.urls")),
]


def measure(client: Client, url: str) -> tuple[float, float, int]:
    client.get(url)  # warm
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], len(queries)


def setup() -> None:
    call_command("migrate", verbosity=0)
    call_command("load_rubrics", verbosity=0)
    call_command("load_demo", verbosity=0)


def import_bench(count: int = 10_000) -> None:
    """The tree import of ``count`` new branches: dry run and confirm, against the floor."""
    import io

    import openpyxl
    from django.db import transaction

    from branches import importing
    from branches.exports import OrganizationTemplate
    from branches.models import ImportKind, Organization, OrgKind, User
    from branches.toolkit.spreadsheets import write_xlsx

    admin = User.objects.get(username="dq01")
    headers = OrganizationTemplate(by=admin).headers()
    parent = Organization.objects.get(code="GT")
    template = {
        "类型": "党支部",
        "上级编码": parent.code,
        "联合党支部": "否",
        "成立日期": "2015-03-01",
        "正式党员数": 12,
        "预备党员数": 1,
        "类别": "一般",
        "软弱涣散": "否",
        "星级": 3,
        "书记": "张三",
        "委员": "李四、王五",
    }
    rows = [
        [{**template, "编码": f"IMP-{n:05d}", "名称": f"导入基准党支部{n}"}.get(h) for h in headers]
        for n in range(count)
    ]
    content = write_xlsx([("组织", headers, rows)])

    # The floor: read the file and insert its rows in one bulk insert, rolled back.
    start = time.perf_counter()
    with transaction.atomic():
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        read = list(book.worksheets[0].iter_rows(values_only=True))[1:]
        book.close()
        reading = time.perf_counter() - start
        Organization.objects.bulk_create(
            [Organization(code=r[0], name=r[1], kind=OrgKind.BRANCH, parent=parent) for r in read]
        )
        transaction.set_rollback(True)
    floor = time.perf_counter() - start

    import resource

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with override_settings(IMPORT_BACKGROUND_ROWS=count + 1):
        start = time.perf_counter()
        job = importing.start_import(
            by=admin, kind=ImportKind.ORGANIZATIONS, filename="bench.xlsx", content=content
        )
        dry = time.perf_counter() - start
        assert job.summary["ok"] and job.summary["counts"]["new"] == count, job.summary["counts"]
        start = time.perf_counter()
        importing.apply_import(job, by=admin)
        confirm = time.perf_counter() - start
    rss_growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
    assert Organization.objects.filter(code__startswith="IMP-").count() == count
    print(f"\nimport of {count:,} branches from .xlsx ({len(content) / 1024:.0f} KB)")
    print(f"{'floor: openpyxl read + one bulk insert':<44}{floor:>8.2f} s  (read {reading:.2f} s)")
    print(f"{'dry run (preview)':<44}{dry:>8.2f} s  ({dry / floor:.1f}× the floor)")
    print(f"{'confirm (store, audit)':<44}{confirm:>8.2f} s  ({confirm / floor:.1f}× the floor)")
    print(f"{'peak memory growth (max RSS)':<44}{rss_growth:>8.0f} MB\n")


def main() -> None:
    from assessments import services
    from assessments.models import ScoreSheet
    from branches.models import Organization, User
    from rubrics.models import RubricVersion

    admin = User.objects.get(username="dq01")
    campaign = services.create_campaign(
        by=admin,
        name="基准测试",
        version=RubricVersion.objects.get(rubric__code="fuling-2017"),
        scope=Organization.objects.get(code="JT"),
        year=2026,
        quarter=None,
        template="standardization",
        start=timezone.localdate(),
    )
    services.open_campaign(campaign, by=admin)
    secretary = User.objects.get(username="sj01")
    sheet = ScoreSheet.objects.get(campaign=campaign, assessor=secretary)
    services.save_entries(
        sheet,
        by=secretary,
        revision=sheet.revision,
        values={"1.1": "1", "4.1.a": "3", "7.4.a": "0.5"},
    )
    client = Client()
    client.force_login(secretary)
    with override_settings(ROOT_URLCONF=__name__, ALLOWED_HOSTS=["testserver"]):
        rows = [
            ("plain 55-row template page", *measure(client, "/bench/plain/")),
            ("Fuling score sheet page (55 items)", *measure(client, f"/sheets/{sheet.pk}/")),
        ]
    print(f"\n{'page':<38}{'median ms':>12}{'p95 ms':>10}{'queries':>10}   ({RUNS} runs)")
    for name, median, p95, queries in rows:
        print(f"{name:<38}{median:>12.1f}{p95:>10.1f}{queries:>10}")
    print(f"ratio sheet / plain: {rows[1][1] / rows[0][1]:.1f}×\n")


def consolidation() -> None:
    """Consolidating BRANCHES branches × 55 Fuling items × 4 signed stages, beside a raw SQL
    aggregate over the same entry rows."""
    from decimal import Decimal

    from assessments import services
    from assessments.models import ScoreSheet, SheetEntry, SheetStatus
    from branches.models import Organization, OrgKind, User
    from rubrics.models import RubricVersion
    from rubrics.selectors import rules_for, version_tree

    admin = User.objects.get(username="dq01")
    version = RubricVersion.objects.get(rubric__code="fuling-2017")
    rules = rules_for(version_tree(version.pk))
    codes = [(p.code, p.points) for i in rules.items() for p in i.parts] + [
        (i.code, i.points) for i in rules.items() if not i.parts
    ]
    scope = Organization.objects.get(code="GT")
    campaign = services.create_campaign(
        by=admin,
        name="规模基准",
        version=version,
        scope=scope,
        year=2026,
        quarter=None,
        template="xining",
        start=timezone.localdate(),
    )
    type(campaign).objects.filter(pk=campaign.pk).update(status="open")
    started = time.perf_counter()
    branches = Organization.objects.bulk_create(
        [
            Organization(
                code=f"BENCH-{n:05d}",
                name=f"基准党支部{n}",
                kind=OrgKind.BRANCH,
                parent=scope,
                enterprise_id=scope.pk,
                depth=1,
                full_members=10,
            )
            for n in range(BRANCHES)
        ],
        batch_size=2000,
    )
    for org in branches:
        org.path = f"{scope.path}{org.pk}/"
    Organization.objects.bulk_update(branches, ["path"], batch_size=2000)
    stages = list(campaign.stages.exclude(kind="consolidation").order_by("position"))[:4]
    now = timezone.now()
    sheets = ScoreSheet.objects.bulk_create(
        [
            ScoreSheet(
                stage=stage,
                campaign=campaign,
                rubric_version=version,
                organization=org,
                assessor=admin,
                status=SheetStatus.SIGNED,
                total=Decimal(90),
                max_total=Decimal(100),
                grade="合格",
                passed=True,
                signed_at=now,
                signed_by=admin,
                digest="0" * 64,
            )
            for org in branches
            for stage in stages
        ],
        batch_size=2000,
    )
    entries = (
        SheetEntry(sheet=sheet, code=code, value=points - (Decimal("0.5") if n % 7 == 0 else 0))
        for sheet in sheets
        for n, (code, points) in enumerate(codes)
    )
    batch = []
    for entry in entries:
        batch.append(entry)
        if len(batch) == 20000:
            SheetEntry.objects.bulk_create(batch)
            batch = []
    SheetEntry.objects.bulk_create(batch)
    # Record each sheet's real digest, as sign-off would (consolidation checks them).
    digests = {pk: actual for pk, _, _, actual in services.stored_digests(campaign.sheets.all())}
    for sheet in sheets:
        sheet.digest = digests[sheet.pk]
    ScoreSheet.objects.bulk_update(sheets, ["digest"], batch_size=2000)
    setup = time.perf_counter() - started
    rows = len(sheets) * len(codes)

    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.organization_id, s.stage_id, SUM(e.value) FROM assessments_sheetentry e "
            "JOIN assessments_scoresheet s ON s.id = e.sheet_id WHERE s.campaign_id = %s "
            "GROUP BY s.organization_id, s.stage_id",
            [campaign.pk],
        )
        aggregated = len(cursor.fetchall())
    raw = time.perf_counter() - start
    start = time.perf_counter()
    done = services.consolidate(campaign, by=admin)
    first = time.perf_counter() - start
    start = time.perf_counter()
    services.consolidate(campaign, by=admin)
    again = time.perf_counter() - start
    print(
        f"\nconsolidation: {BRANCHES} branches × {len(codes)} codes × {len(stages)} stages = "
        f"{rows:,} entry rows (setup {setup:.1f} s)"
    )
    print(
        f"{'raw SQL aggregate (sum per branch and stage)':<48}{raw:>8.2f} s  "
        f"({aggregated:,} groups)"
    )
    print(
        f"{'consolidate (results, consequences, rectification)':<48}{first:>8.2f} s  "
        f"({done['results']:,} results, {done['rectifications']:,} items)"
    )
    print(f"{'consolidate again (update path)':<48}{again:>8.2f} s\n")


def report_bench() -> None:
    """The branch report beside raw WeasyPrint on the same HTML; a 1,000-branch summary."""
    from decimal import Decimal

    from django.template.loader import render_to_string
    from weasyprint import HTML

    from assessments import reports, services
    from assessments.models import BranchResult, ScoreSheet
    from branches.models import Organization, OrgKind, User
    from rubrics.models import RubricVersion

    sheet = ScoreSheet.objects.filter(campaign__name="基准测试").first()
    html = render_to_string("reports/branch.html", reports.branch_context(sheet))
    ours, raw = [], []
    for _ in range(5):
        start = time.perf_counter()
        reports.render_branch(sheet)
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        HTML(string=html).write_pdf()
        raw.append(time.perf_counter() - start)
    admin = User.objects.get(username="dq01")
    scope = Organization.objects.get(code="NH")
    campaign = services.create_campaign(
        by=admin,
        name="汇总基准",
        version=RubricVersion.objects.get(rubric__code="fuling-2017"),
        scope=scope,
        year=2026,
        quarter=None,
        template="fuling",
        start=timezone.localdate(),
    )
    orgs = Organization.objects.bulk_create(
        [
            Organization(
                code=f"SUM-{n:04d}",
                name=f"汇总基准党支部{n}",
                kind=OrgKind.BRANCH,
                parent=scope,
                enterprise_id=scope.pk,
                depth=1,
                path="",
            )
            for n in range(1000)
        ]
    )
    grades = ["合格", "基本合格", "不合格"]
    BranchResult.objects.bulk_create(
        [
            BranchResult(
                campaign=campaign,
                organization=org,
                source_note="基准",
                total=Decimal(95 - n % 40),
                max_total=Decimal(100),
                grade=grades[n % 3],
                passed=n % 3 != 2,
                year=2026,
                rubric_code="fuling-2017",
            )
            for n, org in enumerate(orgs)
        ]
    )
    start = time.perf_counter()
    content = reports.render_summary(campaign)
    summary = time.perf_counter() - start
    import io

    from pypdf import PdfReader

    pages = len(PdfReader(io.BytesIO(content)).pages)
    print(f"{'branch report (app: template + PDF)':<44}{statistics.median(ours):>8.2f} s median")
    print(f"{'raw WeasyPrint on the same HTML':<44}{statistics.median(raw):>8.2f} s median")
    print(f"{'leader summary, 1,000 branches':<44}{summary:>8.2f} s  ({pages} pages)\n")


if __name__ == "__main__":
    if sys.argv[1:] == ["load"]:
        from tests.bench.load import load_test

        load_test()
        sys.exit(0)
    setup()
    if os.environ.get("BENCH_ONLY") == "import":
        import_bench(int(os.environ.get("BENCH_IMPORT_ROWS", "10000")))
        sys.exit()
    main()
    report_bench()
    import_bench()
    if os.environ.get("BENCH_SKIP_CONSOLIDATION") != "1":
        consolidation()
    from tests.bench.load import load_test

    load_test()
