"""The hot paths beside their floors, on ONE database (the caller chose it).

Run by `python -m tests.bench` as a subprocess per database, with DJANGO_VAR_DIR a
throw-away directory and DATABASE_URL unset (SQLite) or a throw-away PostgreSQL database.
Prints one JSON line per row: {"path", "value", "floor", "unit", "goal", "ratio_goal"}.

Sizes: BENCH_BRANCHES (consolidation, default 10,000), BENCH_IMPORT_ROWS (default 10,000),
BENCH_SUMMARY_BRANCHES (the leader summary, default 10,000, and a quarter of it),
BENCH_ZIP_BRANCHES (the zip of branch reports, default 80, and a quarter of it: each report
is rendered, 1–3 s a branch), BENCH_LIST_BRANCHES (the paged lists, default 50,000),
BENCH_RUNS (page and autosave repetitions, default 30). BENCH_ONLY=a,b runs only some
parts (pages, autosave, pdf, import, consolidation, summary, zip, lists). The summary
reuses the consolidation's campaign when both have the same size.

Peak memory is the peak resident set size (getrusage ru_maxrss) of a fresh process
(`paths.py child …`) that renders one thing on this database: it counts what WeasyPrint
allocates in C, which tracemalloc does not. Each figure also comes with the peak measured
once Django, WeasyPrint and the report modules are loaded, before rendering.
"""

import io
import itertools
import json
import os
import re
import statistics
import subprocess
import sys
import time
from urllib.parse import urlencode

sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import CharField, Value  # noqa: E402
from django.db.models.functions import Cast, Concat  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.shortcuts import render  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import include, path  # noqa: E402
from django.utils import timezone  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "30"))
BRANCHES = int(os.environ.get("BENCH_BRANCHES", "10000"))
IMPORT_ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "10000"))
SUMMARY_BRANCHES = int(os.environ.get("BENCH_SUMMARY_BRANCHES", "10000"))
ZIP_BRANCHES = int(os.environ.get("BENCH_ZIP_BRANCHES", "80"))
LIST_BRANCHES = int(os.environ.get("BENCH_LIST_BRANCHES", "50000"))
FORM_ENCODED = "application/x-www-form-urlencoded"
WRITE = ("INSERT", "UPDATE", "DELETE")
REVISION = re.compile(r'name="revision" id="revision" value="(\d+)"')
ONLY = set(filter(None, os.environ.get("BENCH_ONLY", "").split(",")))


def plain_page(request) -> HttpResponse:
    rows = [(f"{n // 10 + 1}.{n % 10 + 1}", f"第 {n + 1} 项指标内容" * 3, 2) for n in range(55)]
    return render(request, "bench/plain.html", {"rows": rows})


urlpatterns = [path("bench/plain/", plain_page), path("", include("config.urls"))]


def row(name: str, value: float, floor: float | None, unit: str, goal: str, ratio_goal=None):
    print(
        json.dumps(
            {
                "path": name,
                "value": value,
                "floor": floor,
                "unit": unit,
                "goal": goal,
                "ratio_goal": ratio_goal,
            },
            ensure_ascii=False,
        ),
        flush=True,
    )


def interleaved(paths: dict, runs: int) -> dict[str, float]:
    """Median milliseconds of each path over ``runs`` rounds, the paths taken in turn within
    a round (after one warm-up call each): a machine that slows down for a while slows
    every path alike, so a ratio compares like with like."""
    for fn in paths.values():
        fn()
    times: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(runs):
        for name, fn in paths.items():
            start = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - start) * 1000)
    return {name: statistics.median(t) for name, t in times.items()}


def statements(fn) -> int:
    with CaptureQueriesContext(connection) as queries:
        fn()
    return len(queries)


def setup() -> None:
    call_command("migrate", verbosity=0)
    call_command("load_rubrics", verbosity=0)
    call_command("load_demo", verbosity=0)


def fuling_campaign():
    """An open Fuling campaign over the whole group; sj01's self-assessment sheet."""
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
    return ScoreSheet.objects.get(campaign=campaign, assessor=secretary), secretary


def pages_and_autosave(sheet, secretary) -> None:
    """The score page beside a plain page; full and one-field autosaves through HTTP."""
    from assessments import selectors
    from rubrics import scoring

    client = Client()
    client.force_login(secretary)
    rules = selectors.sheet_rules(sheet)
    fields = [
        (p.code, p.points) for i in rules.items() if i.kind != scoring.VETO for p in i.parts
    ] + [(i.code, i.points) for i in rules.items() if i.kind != scoring.VETO and not i.parts]
    with override_settings(ROOT_URLCONF=__name__, ALLOWED_HOSTS=["testserver"]):
        url = f"/sheets/{sheet.pk}/"
        paths = {"plain": lambda: client.get("/bench/plain/")}
        if not ONLY or "pages" in ONLY:
            paths["page"] = lambda: client.get(url)
        sheet.refresh_from_db(fields=["revision"])
        state = {"n": 0, "revision": sheet.revision}

        def post(full: bool, count: bool = False):
            # The revision comes back in the response, as the page takes it (no read here).
            state["n"] += 1
            flip = state["n"] % 2
            data = {"revision": state["revision"]}
            chosen = fields if full else fields[:1]
            for n, (code, points) in enumerate(chosen):
                data[f"v_{code}"] = str(points if (n + flip) % 2 else 0)
                data[f"n_{code}"] = "" if (n + flip) % 2 else "扣分"
            url = f"/sheets/{sheet.pk}/autosave/"
            # Sent as the page's htmx sends it: a url-encoded form (the test client's
            # default, multipart, costs the parser several milliseconds more).
            body = urlencode(data)

            def send():
                return client.post(
                    url, body, content_type=FORM_ENCODED, headers={"HX-Request": "true"}
                )

            if count:
                state["statements"] = statements(lambda: state.update(r=send()))
            else:  # timed runs log no query
                state["r"] = send()
            assert state["r"].status_code == 200, state["r"].content[:300]
            state["revision"] = int(REVISION.search(state["r"].content.decode())[1])

        if not ONLY or "autosave" in ONLY:
            paths["full"] = lambda: post(True)
            paths["one"] = lambda: post(False)
        ms = interleaved(paths, RUNS)
        plain = ms["plain"]
        if "page" in ms:
            row("Fuling score page (55 items)", ms["page"], plain, "ms", "≤ 2× plain page", 2)
            row(
                "  its SQL queries",
                statements(lambda: client.get(url)),
                None,
                "stmts",
                "pinned by a test",
            )
        if "full" not in ms:
            return
        post(True, count=True)
        full_n = state["statements"]
        post(False, count=True)
        one_n = state["statements"]
        label = f"full autosave ({len(fields)} fields, HTTP)"
        row(label, full_n, None, "stmts", "≤ 15 statements", None)
        row("  its time", ms["full"], plain, "ms", "≤ 3× plain page", 3)
        # 9 as tests/journeys/test_sheet_cost.py pins it: the 8 of its first measurement
        # and the roles read for the second-factor rule on every request.
        row("one-field autosave (HTTP)", one_n, None, "stmts", "≤ 9 statements", None)
        row("  its time", ms["one"], plain, "ms", "≤ 3× plain page", 3)


def branch_pdf(sheet) -> None:
    from django.template.loader import render_to_string
    from weasyprint import HTML

    from assessments import reports

    html = render_to_string("reports/branch.html", reports.branch_context(sheet))
    ours, raw = [], []
    for _ in range(3):
        start = time.perf_counter()
        reports.render_branch(sheet)
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        HTML(string=html).write_pdf()
        raw.append(time.perf_counter() - start)
    row(
        "branch PDF vs raw WeasyPrint, same HTML",
        statistics.median(ours),
        statistics.median(raw),
        "s",
        "≤ 1.2×",
        1.2,
    )


def import_bench(count: int) -> None:
    """The tree import of ``count`` new branches: dry run and confirm, against the floor:
    reading the same file with openpyxl and one bulk insert."""
    import openpyxl

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
    start = time.perf_counter()
    with transaction.atomic():
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        read = list(book.worksheets[0].iter_rows(values_only=True))[1:]
        book.close()
        Organization.objects.bulk_create(
            [Organization(code=r[0], name=r[1], kind=OrgKind.BRANCH, parent=parent) for r in read]
        )
        transaction.set_rollback(True)
    floor = time.perf_counter() - start
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
    assert Organization.objects.filter(code__startswith="IMP-").count() == count
    name = f"import {count:,} branches"
    row(f"{name}: dry run", dry, floor, "s", "≤ 5× read .xlsx + bulk insert", 5)
    row(f"{name}: confirm", confirm, floor, "s", "≤ 5× read .xlsx + bulk insert", 5)


def bench_branches(scope, prefix: str, count: int) -> list:
    """``count`` new 党支部 under ``scope`` (codes ``prefix``-00000 …) in one bulk insert,
    their tree paths ("/1/7/<pk>/", as ``place_subtree`` keeps them) set by one UPDATE."""
    from branches.models import Organization, OrgKind, tree_key

    branches = Organization.objects.bulk_create(
        [
            Organization(
                code=f"{prefix}-{n:05d}",
                name=f"基准党支部{prefix}{n}",
                kind=OrgKind.BRANCH,
                parent=scope,
                enterprise_id=scope.enterprise_id or scope.pk,
                depth=scope.depth + 1,
                tree_key=tree_key(scope.tree_key, f"{prefix}-{n:05d}"),
                full_members=10,
                secretary_name="张三",
            )
            for n in range(count)
        ],
        batch_size=2000,
    )
    Organization.objects.filter(code__startswith=f"{prefix}-", parent=scope).update(
        path=Concat(Value(scope.path), Cast("pk", CharField()), Value("/"))
    )
    for org in branches:
        org.path = f"{scope.path}{org.pk}/"
    return branches


def new_campaign(name: str, version, scope):
    """An open campaign of ``version`` over ``scope`` with no object yet (the caller lays
    them down, as opening would fix them)."""
    from assessments import services
    from branches.models import User

    campaign = services.create_campaign(
        by=User.objects.get(username="dq01"),
        name=name,
        version=version,
        scope=scope,
        year=2026,
        quarter=None,
        template="xining",
        start=timezone.localdate(),
    )
    type(campaign).objects.filter(pk=campaign.pk).update(status="open")
    return campaign


def consolidation_setup(count: int, *, prefix: str = "BENCH", stages: int = 4):
    """(campaign, its administrator, the stages, the codes): ``count`` branches × the
    Fuling codes × ``stages`` signed stages. The sheets, entries and per-item facts are
    laid down with INSERT … SELECT from one template sheet scored by the engine."""
    from decimal import Decimal

    from assessments import services
    from assessments.models import CampaignObject, ItemFact, ScoreSheet, SheetEntry, SheetStatus
    from assessments.services.facts import item_facts
    from branches.models import Organization, User
    from rubrics import scoring
    from rubrics.models import RubricVersion
    from rubrics.selectors import rules_for, version_tree

    admin = User.objects.get(username="dq01")
    version = RubricVersion.objects.get(rubric__code="fuling-2017")
    rules = rules_for(version_tree(version.pk))
    codes = [(p.code, p.points) for i in rules.items() for p in i.parts] + [
        (i.code, i.points) for i in rules.items() if not i.parts and i.kind != scoring.VETO
    ]
    scope = Organization.objects.get(code="GT")
    campaign = new_campaign(f"规模基准 {prefix}", version, scope)
    branches = bench_branches(scope, prefix, count)
    # Its objects, as opening fixes them.
    CampaignObject.objects.bulk_create(
        [
            CampaignObject(campaign=campaign, organization=o, enterprise_id=scope.pk)
            for o in branches
        ],
        batch_size=2000,
    )
    stages = list(campaign.stages.exclude(kind="consolidation").order_by("position"))[:stages]
    values = {
        code: points - (Decimal("0.5") if n % 7 == 0 else 0)
        for n, (code, points) in enumerate(codes)
    }
    result = scoring.score(rules, scoring.Entry(values))
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
                total=result.total,
                max_total=result.max,
                grade=result.grade or "",
                passed=result.passed,
                unmet_key_items=list(result.unmet_key_items),
                signed_at=now,
                signed_by=admin,
                digest="0" * 64,
            )
            for org in branches
            for stage in stages
        ],
        batch_size=2000,
    )
    first = sheets[0]
    SheetEntry.objects.bulk_create(
        [SheetEntry(sheet=first, code=code, value=value) for code, value in values.items()]
    )
    ItemFact.objects.bulk_create(item_facts(first.pk, rules, result, {}))
    with connection.cursor() as cursor:
        for model, columns in (
            (SheetEntry, ["code", "value", "note"]),
            (ItemFact, [f.column for f in ItemFact._meta.concrete_fields][2:]),
        ):
            table = model._meta.db_table
            cols = ", ".join(connection.ops.quote_name(c) for c in columns)
            tcols = ", ".join("t." + connection.ops.quote_name(c) for c in columns)
            cursor.execute(
                f"INSERT INTO {table} (sheet_id, {cols}) SELECT s.id, {tcols} FROM "
                f"assessments_scoresheet s, (SELECT {cols} FROM {table} WHERE sheet_id = %s) t "
                # Each sheet's rows together, as a sheet's saves write them (not one code
                # across all sheets, which would spread every sheet over 61 pages).
                "WHERE s.campaign_id = %s AND s.id <> %s ORDER BY s.id",
                [first.pk, campaign.pk, first.pk],
            )
    # Record each sheet's real digest, as sign-off would (consolidation checks them).
    digests = {pk: actual for pk, _, _, actual in services.stored_digests(campaign.sheets.all())}
    for sheet in sheets:
        sheet.digest = digests[sheet.pk]
    ScoreSheet.objects.bulk_update(sheets, ["digest"], batch_size=2000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # As autovacuum would after such a load (it vacuums a table that had inserts,
            # not only analyzes it): the rows' hint bits and the visibility map set, as in
            # a database whose sheets were signed over weeks. With ANALYZE alone, the first
            # run paid for setting them on the facts and organizations it was the first to
            # read (the raw sum before it reads the sheets and entries), and the floor's
            # writes, run after it, found the organizations' set. (The suite runs this
            # inside a test's transaction, where VACUUM cannot run: statistics only.)
            cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
    return campaign, admin, stages, codes


def copy_first_writes(campaign) -> tuple[float, dict[str, int]]:
    """(seconds, rows per table): the floor of what a first consolidation must write. The
    rows it wrote for ``campaign`` — its results, their consequences and rectification
    items — are written again, as many rows into the same tables, by three raw
    INSERT … SELECT statements that copy them into a scratch campaign (every constraint
    and index checked, the foreign keys immediately on PostgreSQL), then rolled back."""
    from assessments.models import BranchResult, Consequence, RectificationItem

    quote = connection.ops.quote_name

    def columns(model, replaced: dict[str, str], alias: str) -> tuple[str, str]:
        cols = [f.column for f in model._meta.concrete_fields if not f.primary_key]
        return (
            ", ".join(quote(c) for c in cols),
            ", ".join(replaced.get(c, f"{alias}.{quote(c)}") for c in cols),
        )

    result, item, consequence = (
        m._meta.db_table for m in (BranchResult, RectificationItem, Consequence)
    )
    counts = {
        "results": BranchResult.objects.filter(campaign=campaign).count(),
        "items": RectificationItem.objects.filter(campaign=campaign).count(),
        "consequences": Consequence.objects.filter(result__campaign=campaign).count(),
    }
    # The new result of each copied one: same organization, in the scratch campaign.
    twin = f"JOIN {result} n ON n.organization_id = r.organization_id AND n.campaign_id = %s"
    with transaction.atomic():
        scratch = new_campaign("基准草稿", campaign.rubric_version, campaign.scope)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # checked here, not at commit
            start = time.perf_counter()
            cols, select = columns(BranchResult, {"campaign_id": "%s"}, "r")
            cursor.execute(
                f"INSERT INTO {result} ({cols}) SELECT {select} FROM {result} r "
                "WHERE r.campaign_id = %s",
                [scratch.pk, campaign.pk],
            )
            if connection.vendor == "postgresql":
                # Not timed: the copies below find each new result by its organization; on
                # the statistics of before the insert PostgreSQL planned that join as a scan
                # per row (22 s for 10,000 branches), which is no floor.
                paused = time.perf_counter()
                cursor.execute(f"ANALYZE {result}")
                start += time.perf_counter() - paused
            cols, select = columns(Consequence, {"result_id": "n.id"}, "c")
            cursor.execute(
                f"INSERT INTO {consequence} ({cols}) SELECT {select} FROM {consequence} c "
                f"JOIN {result} r ON r.id = c.result_id {twin} WHERE r.campaign_id = %s",
                [scratch.pk, campaign.pk],
            )
            cols, select = columns(
                RectificationItem, {"result_id": "n.id", "campaign_id": "n.campaign_id"}, "i"
            )
            cursor.execute(
                f"INSERT INTO {item} ({cols}) SELECT {select} FROM {item} i "
                f"JOIN {result} r ON r.id = i.result_id {twin} WHERE i.campaign_id = %s",
                [scratch.pk, campaign.pk],
            )
            elapsed = time.perf_counter() - start
        copied = RectificationItem.objects.filter(campaign=scratch).count()
        assert copied == counts["items"], (copied, counts)
        transaction.set_rollback(True)
    return elapsed, counts


def seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def consolidation(count: int):
    """Consolidating ``count`` branches: the first run beside its floor (a raw SQL
    aggregate over the same entries plus writing the rows the first run wrote, raw), a
    re-run with nothing changed beside the aggregate."""
    from assessments import services

    campaign, admin, stages, codes = consolidation_setup(count)

    def raw_sum():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT s.organization_id, s.stage_id, SUM(e.value) FROM assessments_sheetentry e "
                "JOIN assessments_scoresheet s ON s.id = e.sheet_id WHERE s.campaign_id = %s "
                "GROUP BY s.organization_id, s.stage_id",
                [campaign.pk],
            )
            cursor.fetchall()

    # What can be repeated is taken as the median of three (the floor and the re-run alike);
    # the first run happens once.
    raw = statistics.median(seconds(raw_sum) for _ in range(3))
    first_run = seconds(lambda: services.consolidate(campaign, by=admin))
    writes, counts = copy_first_writes(campaign)
    agains, statements = [], 0
    for _ in range(3):
        with CaptureQueriesContext(connection) as queries:
            agains.append(seconds(lambda: services.consolidate(campaign, by=admin)))
        statements = max(
            statements, sum(1 for q in queries if q["sql"].lstrip().upper().startswith(WRITE))
        )
    again = statistics.median(agains)
    name = f"consolidation {count:,} × {len(codes)} codes × {len(stages)} stages"
    row(name, first_run, raw + writes, "s", "≤ 1.5× aggregate + its writes", 1.5)
    row("  floor: raw SQL aggregate of the entries", raw, None, "s", "(median of 3)")
    row(
        f"  floor: its {counts['results']:,} results, {counts['consequences']:,} "
        f"consequences, {counts['items']:,} items",
        writes,
        None,
        "s",
        "(raw INSERT … SELECT)",
    )
    row("  again, nothing changed (median of 3)", again, raw, "s", "≤ 3× aggregate", 3)
    row("  writes when nothing changed", statements, None, "stmts", "0", None)
    return campaign


def child(args: list[str]) -> dict:
    """Run ``paths.py child …`` in a fresh process on this database: its figures, among
    them ``before_mb`` and ``peak_mb``, the process's peak resident set size (getrusage
    ru_maxrss) once Django, WeasyPrint and the report modules are loaded and at the end."""
    connection.close()  # nothing held open while the child reads (SQLite: no lock)
    done = subprocess.run(
        [sys.executable, __file__, "child", *args],
        cwd=os.getcwd(),
        env=os.environ.copy(),
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise RuntimeError(f"child {args} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def child_main(kind: str, campaign_pk: int) -> None:
    """In the child: render ``kind`` (summary: the leader summary PDF, as its report job
    does; zip: every signed sheet's report zipped into a temporary file) and print one JSON
    line of figures."""
    import resource
    import tempfile

    import weasyprint  # noqa: F401  (loaded before the baseline, as in a warm worker)
    from pypdf import PdfReader

    from assessments import reports
    from assessments.models import Campaign
    from branches.models import User

    def rss_mb() -> float:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux

    admin = User.objects.get(username="dq01")
    campaign = Campaign.objects.select_related("rubric_version", "scope").get(pk=campaign_pk)
    before = rss_mb()
    figures = {}
    start = time.perf_counter()
    if kind == "summary":
        content = reports.render_summary(campaign, by=admin)
        figures["pages"] = len(PdfReader(io.BytesIO(content)).pages)
    else:
        with tempfile.TemporaryFile() as target:
            figures["members"] = reports.write_branch_zip(campaign, target, by=admin)
            figures["zip_mb"] = target.tell() / 2**20
    figures.update(seconds=time.perf_counter() - start, before_mb=before, peak_mb=rss_mb())
    print(json.dumps(figures))


def summary(large_campaign=None) -> None:
    """The leader summary PDF at SUMMARY_BRANCHES and at a quarter of it, each rendered in
    a fresh process: time, pages, peak RSS, and how the peak grows with the branches."""
    from assessments import services
    from branches.models import User

    admin = User.objects.get(username="dq01")
    sizes = {SUMMARY_BRANCHES // 4: None, SUMMARY_BRANCHES: large_campaign}
    figures = {}
    for count, campaign in sizes.items():
        if campaign is None:
            campaign = consolidation_setup(count, prefix=f"SUM{count}")[0]
            services.consolidate(campaign, by=admin)
        figures[count] = child(["summary", str(campaign.pk)])
    small, large = (figures[n] for n in sizes)
    name = f"leader summary PDF, {SUMMARY_BRANCHES:,} branches"
    row(name, large["seconds"], None, "s", "≤ 30 s")
    row("  its pages", large["pages"], None, "pages", "≤ 8 pages")
    row("  peak RSS of the process rendering it", large["peak_mb"], None, "MB", "≤ 500 MB")
    row(
        f"  peak RSS growth {SUMMARY_BRANCHES // 4:,} → {SUMMARY_BRANCHES:,}",
        large["peak_mb"],
        small["peak_mb"],
        "MB",
        "≤ 1.3×",
        1.3,
    )
    row(
        f"  above the loaded process, {SUMMARY_BRANCHES // 4:,} → {SUMMARY_BRANCHES:,}",
        large["peak_mb"] - large["before_mb"],
        small["peak_mb"] - small["before_mb"],
        "MB",
        "(reference)",
    )


def branch_zip() -> None:
    """The zip of every branch report at ZIP_BRANCHES and at a quarter of it (one signed
    sheet per branch, each report rendered then: 1–3 s a branch), each in a fresh process:
    peak RSS at both sizes, time per branch."""
    sizes = (max(ZIP_BRANCHES // 4, 1), ZIP_BRANCHES)
    figures = {}
    for count in sizes:
        campaign = consolidation_setup(count, prefix=f"ZIP{count}", stages=1)[0]
        figures[count] = child(["zip", str(campaign.pk)])
        assert figures[count]["members"] == count, figures[count]
    small, large = (figures[n] for n in sizes)
    row(
        f"zip of branch reports, peak RSS {sizes[0]} → {sizes[1]}",
        large["peak_mb"],
        small["peak_mb"],
        "MB",
        "≤ 1.2× (flat)",
        1.2,
    )
    row(
        f"  per branch ({sizes[1]} PDFs rendered and zipped)",
        large["seconds"] / large["members"],
        None,
        "s",
        "(reference)",
    )


def list_campaign(count: int):
    """A consolidated-looking campaign over ``count`` new branches, laid down directly: one
    signed sheet per branch (no entries), its result, a consequence for each result below
    the pass mark and three rectification items per result, by bulk inserts and
    INSERT … SELECT."""
    from decimal import Decimal

    from assessments.models import (
        BranchResult,
        CampaignObject,
        Consequence,
        RectificationItem,
        ScoreSheet,
        SheetStatus,
    )
    from assessments.services.results.ranking import rank_results
    from assessments.services.sheets import server_digests
    from branches.models import Organization, User
    from branches.toolkit.statistics import refresh_statistics
    from rubrics.models import RubricVersion

    admin = User.objects.get(username="dq01")
    version = RubricVersion.objects.get(rubric__code="fuling-2017")
    scope = Organization.objects.get(code="GT")
    campaign = new_campaign("列表基准", version, scope)
    branches = bench_branches(scope, "LIST", count)
    CampaignObject.objects.bulk_create(
        [
            CampaignObject(campaign=campaign, organization=o, enterprise_id=o.enterprise_id)
            for o in branches
        ],
        batch_size=5000,
    )
    stage = campaign.stages.exclude(kind="consolidation").order_by("position").first()
    bands = list(version.bands.filter(scale="").order_by("position"))  # top first
    now = timezone.now()
    sheets = []
    for n, org in enumerate(branches):
        total = Decimal(100 - n % 45)
        band = next(b for b in bands if b.minimum is None or total >= b.minimum)
        sheets.append(
            ScoreSheet(
                stage=stage,
                campaign=campaign,
                rubric_version=version,
                organization=org,
                assessor=admin,
                status=SheetStatus.SIGNED,
                total=total,
                max_total=Decimal(100),
                grade=band.label,
                passed=band.passed,
                signed_at=now,
                signed_by=admin,
                digest="0" * 64,
            )
        )
    ScoreSheet.objects.bulk_create(sheets, batch_size=5000)
    # Each sheet sealed as a sign-off seals it (a page that shows a result checks its
    # source sheet's seal; a wrong one would be a tamper warning and a recomputation).
    laid = ScoreSheet.objects.filter(stage=stage)
    for batch in itertools.batched(server_digests(laid), 5000):
        ScoreSheet.objects.bulk_update(
            [ScoreSheet(pk=pk, digest=actual) for pk, _, _, actual in batch], ["digest"]
        )
    result, item, consequence = (
        m._meta.db_table for m in (BranchResult, RectificationItem, Consequence)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {result} (campaign_id, organization_id, source_stage_id, "
            "source_sheet_id, source_digest, source_note, total, max_total, grade, passed, "
            "original_grade, vetoes, overturned, unmet_key_items, inflated_self, inputs, "
            "year, quarter, rubric_code, computed_at) SELECT s.campaign_id, "
            "s.organization_id, s.stage_id, s.id, s.digest, '', s.total, s.max_total, "
            "s.grade, s.passed, '', '[]', '[]', '[]', false, '{}', 2026, NULL, "
            "'fuling-2017', %s FROM assessments_scoresheet s WHERE s.stage_id = %s",
            [now, stage.pk],
        )
        cursor.execute(
            f"INSERT INTO {consequence} (result_id, rule, text, basis, status, action) "
            "SELECT r.id, 'talk', '谈话提醒', '基准', 'pending', '' "
            f"FROM {result} r WHERE r.campaign_id = %s AND r.passed = false",
            [campaign.pk],
        )
        for code in ("1.1", "2.3", "4.2"):
            cursor.execute(
                f"INSERT INTO {item} (result_id, campaign_id, source, organization_id, code, "
                "kind, problem, measure, responsible, deadline, status, follow_up, "
                "created_at) SELECT r.id, r.campaign_id, 'assessment', r.organization_id, "
                "%s, 'deduction', '基准扣分说明', '', '', %s, 'open', '', %s "
                f"FROM {result} r WHERE r.campaign_id = %s",
                [code, timezone.localdate(), now, campaign.pk],
            )
    # What a consolidation does after its bulk writes: rank, then (on the task worker)
    # refresh the planner's statistics.
    rank_results(campaign)
    refresh_statistics()
    return campaign


def lists(count: int) -> None:
    """The paged lists a department administrator reads, at ``count`` branches, beside
    the plain page (first page of each, medians of interleaved rounds)."""
    from django.db.models import Count

    from assessments.models import Campaign
    from branches.models import Organization, OrgKind, User
    from tests import otp

    def urls_of(campaign) -> dict[str, str]:
        return {
            "组织架构 (org tree)": "/orgs/",
            "组织生活 (meeting overview)": "/meetings/",
            "过筛子 (screening overview)": "/screenings/",
            "结果运用 (consequences)": f"/campaigns/{campaign.pk}/consequences/",
            "results ledger": f"/campaigns/{campaign.pk}/results/ledger/",
            "rectification list": f"/rectifications/?campaign={campaign.pk}",
        }

    admin = User.objects.get(username="dq01")
    client = Client()
    client.force_login(admin)
    with override_settings(ROOT_URLCONF=__name__, ALLOWED_HOSTS=["testserver"]):
        # The department administrator proves a second factor after the password, as the
        # suite's logins do (without it every page is a redirect to the verify page).
        otp.prove(client, admin)
        # The same pages before the 50,000 branches exist (the smallest campaign with results,
        # the demo's finished one): what a page costs at that size, to read how it grows.
        small_branches = Organization.objects.filter(kind=OrgKind.BRANCH).count()
        demo = (
            Campaign.objects.annotate(n=Count("results"))
            .filter(n__gt=0)
            .order_by("n", "pk")
            .first()
        )
        assert demo is not None, "the demo's finished campaign has results"
        for url in urls_of(demo).values():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
        small = interleaved(
            {name: (lambda url=url: client.get(url)) for name, url in urls_of(demo).items()},
            max(RUNS // 3, 5),
        )
    started = time.perf_counter()
    campaign = list_campaign(count)
    built = time.perf_counter() - started
    urls = urls_of(campaign)
    with override_settings(ROOT_URLCONF=__name__, ALLOWED_HOSTS=["testserver"]):
        for url in urls.values():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
        paths = {"plain": lambda: client.get("/bench/plain/")}
        for name, url in urls.items():
            paths[name] = lambda url=url: client.get(url)
        ms = interleaved(paths, max(RUNS // 3, 5))
        summary_ms = interleaved(
            {"summary": lambda: client.get(f"/campaigns/{campaign.pk}/results/")}, 3
        )["summary"]
    # Every branch in the tree (other parts of the bench may have added theirs).
    total = Organization.objects.filter(kind=OrgKind.BRANCH).count()
    row(f"build {count:,} branches with results (setup)", built, None, "s", "(reference)")
    for name in urls:
        row(f"{name}, {total:,} branches", ms[name], ms["plain"], "ms", "≤ 2× plain page", 2)
        row(
            f"  the same page at {small_branches} branches (growth)",
            ms[name],
            small[name],
            "ms",
            "(reference)",
        )
    # The results page is the campaign's summary (figures over every result and item, the
    # two ends of the ranking): a report, not a list, timed for reference.
    row(f"results summary page, {total:,} branches", summary_ms, ms["plain"], "ms", "(reference)")


def main() -> None:
    setup()
    sheet, secretary = fuling_campaign()
    if not ONLY or ONLY & {"pages", "autosave"}:
        pages_and_autosave(sheet, secretary)
    if not ONLY or "pdf" in ONLY:
        branch_pdf(sheet)
    if not ONLY or "import" in ONLY:
        import_bench(IMPORT_ROWS)
    consolidated = None
    if not ONLY or "consolidation" in ONLY:
        consolidated = consolidation(BRANCHES)
    if not ONLY or "summary" in ONLY:
        # The consolidation's campaign when it has the summary's size (built once).
        summary(consolidated if BRANCHES == SUMMARY_BRANCHES else None)
    if not ONLY or "zip" in ONLY:
        branch_zip()
    if not ONLY or "lists" in ONLY:
        lists(LIST_BRANCHES)


if __name__ == "__main__":
    if sys.argv[1:2] == ["child"]:
        child_main(sys.argv[2], int(sys.argv[3]))
    else:
        main()
