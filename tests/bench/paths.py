"""The hot paths beside their floors, on ONE database (the caller chose it).

Run by `python -m tests.bench` as a subprocess per database, with DJANGO_VAR_DIR a
throw-away directory and DATABASE_URL unset (SQLite) or a throw-away PostgreSQL database.
Prints one JSON line per row: {"path", "value", "floor", "unit", "goal", "ratio_goal"}.

Sizes: BENCH_BRANCHES (consolidation, default 10,000), BENCH_IMPORT_ROWS (default 10,000),
BENCH_RUNS (page and autosave repetitions, default 30). BENCH_ONLY=a,b runs only some
parts (pages, autosave, consolidation, pdf, import, lists: the paged lists and the leader
summary at the consolidation's scale).
"""

import io
import json
import os
import re
import statistics
import sys
import time
from urllib.parse import urlencode

sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.shortcuts import render  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import include, path  # noqa: E402
from django.utils import timezone  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "30"))
BRANCHES = int(os.environ.get("BENCH_BRANCHES", "10000"))
IMPORT_ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "10000"))
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
        row("one-field autosave (HTTP)", one_n, None, "stmts", "≤ 8 statements", None)
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


def consolidation_setup(count: int):
    """(campaign, its administrator, the stage count, the codes): ``count`` branches × the
    Fuling codes × 4 signed stages. The sheets, entries and per-item facts are laid down
    with INSERT … SELECT from one template sheet scored by the engine."""
    from decimal import Decimal

    from assessments import services
    from assessments.models import CampaignObject, ItemFact, ScoreSheet, SheetEntry, SheetStatus
    from assessments.services.facts import item_facts
    from branches.models import Organization, OrgKind, User
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
            for n in range(count)
        ],
        batch_size=2000,
    )
    for org in branches:
        org.path = f"{scope.path}{org.pk}/"
    Organization.objects.bulk_update(branches, ["path"], batch_size=2000)
    # Its objects, as opening fixes them.
    CampaignObject.objects.bulk_create(
        [
            CampaignObject(campaign=campaign, organization=o, enterprise_id=scope.pk)
            for o in branches
        ],
        batch_size=2000,
    )
    stages = list(campaign.stages.exclude(kind="consolidation").order_by("position"))[:4]
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
            cursor.execute("ANALYZE")  # as autovacuum would after such a load
    return campaign, admin, stages, codes


def raw_writes(campaign, stage) -> float:
    """Seconds to write what a first consolidation must write — one result per branch (from
    its ``stage`` sheet) and one rectification item per fact that lost points — as two raw
    INSERT … SELECT statements into the same tables, every constraint checked, rolled
    back. For reference: the floor of the writes alone."""
    from assessments.models import BranchResult, ItemFact, RectificationItem

    result, item, fact = (m._meta.db_table for m in (BranchResult, RectificationItem, ItemFact))
    with transaction.atomic():
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # checked here, not at commit
            start = time.perf_counter()
            cursor.execute(
                f"INSERT INTO {result} (campaign_id, organization_id, source_stage_id, "
                "source_sheet_id, source_digest, source_note, total, max_total, grade, passed, "
                "original_grade, vetoes, overturned, unmet_key_items, inflated_self, inputs, "
                "year, quarter, rubric_code, computed_at) SELECT s.campaign_id, "
                "s.organization_id, s.stage_id, s.id, s.digest, '', s.total, s.max_total, "
                "s.grade, s.passed, '', '[]', '[]', '[]', false, '{}', 2026, NULL, "
                "'fuling-2017', %s "
                "FROM assessments_scoresheet s WHERE s.stage_id = %s",
                [timezone.now(), stage.pk],
            )
            cursor.execute(
                f"INSERT INTO {item} (result_id, campaign_id, source, organization_id, code, "
                "kind, problem, measure, responsible, deadline, status, follow_up, created_at) "
                "SELECT r.id, r.campaign_id, 'assessment', r.organization_id, f.code, f.kind, "
                f"f.reason, '', '', %s, 'open', '', %s FROM {fact} f JOIN {result} r ON "
                "r.source_sheet_id = f.sheet_id WHERE r.campaign_id = %s AND f.lost > 0",
                [timezone.localdate(), timezone.now(), campaign.pk],
            )
            elapsed = time.perf_counter() - start
        transaction.set_rollback(True)
    return elapsed


def consolidation(count: int):
    """Consolidating ``count`` branches beside a raw SQL aggregate over the same entries."""
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

    def seconds(fn) -> float:
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start

    # What can be repeated is taken as the median of three (the floor and the re-run alike);
    # the first run happens once.
    raw = statistics.median(seconds(raw_sum) for _ in range(3))
    writes_alone = raw_writes(campaign, stages[-1])
    first_run = seconds(lambda: services.consolidate(campaign, by=admin))
    agains, writes = [], 0
    for _ in range(3):
        with CaptureQueriesContext(connection) as queries:
            agains.append(seconds(lambda: services.consolidate(campaign, by=admin)))
        writes = max(writes, sum(1 for q in queries if q["sql"].lstrip().upper().startswith(WRITE)))
    again = statistics.median(agains)
    name = f"consolidation {count:,} × {len(codes)} codes × {len(stages)} stages"
    row(name, first_run, raw, "s", "≤ 3× raw SQL aggregate", 3)
    row("  its writes alone, raw INSERT … SELECT", writes_alone, raw, "s", "(for reference)")
    row("  again, nothing changed (median of 3)", again, raw, "s", "≤ 3×, 0 writes", 3)
    row("  writes when nothing changed", writes, None, "stmts", "0", None)
    return campaign


def lists_and_summary(campaign, count: int) -> None:
    """At the consolidation's scale: the paged lists beside the plain page, and the leader
    summary (its time, its peak Python memory while rendered, its pages)."""
    import tracemalloc

    from pypdf import PdfReader

    from assessments import reports
    from assessments.pdf import render_pdf
    from branches.models import User

    admin = User.objects.get(username="dq01")
    client = Client()
    client.force_login(admin)
    urls = {
        "组织架构 (tree, page 1)": "/orgs/",
        "组织生活 overview": "/meetings/",
        "过筛子 overview": "/screenings/",
        "结果运用": f"/campaigns/{campaign.pk}/consequences/",
        "results ledger": f"/campaigns/{campaign.pk}/results/",
    }
    with override_settings(ROOT_URLCONF=__name__, ALLOWED_HOSTS=["testserver"]):
        paths = {"plain": lambda: client.get("/bench/plain/")}
        for name, url in urls.items():
            paths[name] = lambda url=url: client.get(url)
        ms = interleaved(paths, max(RUNS // 3, 5))
    for name in urls:
        row(f"{name}, {count:,} branches", ms[name], ms["plain"], "ms", "≤ 2× plain page", 2)

    start = time.perf_counter()
    content = reports.render_summary(campaign, by=admin)
    seconds = time.perf_counter() - start
    row(f"leader summary PDF, {count:,} branches", seconds, None, "s", "≤ 30 s")
    row("  its pages", len(PdfReader(io.BytesIO(content)).pages), None, "pages", "≤ 8 pages")
    tracemalloc.start()
    render_pdf("reports/summary.html", reports.summary_context(campaign))
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    row("  its peak Python memory (tracemalloc)", peak, None, "MB", "≤ 500 MB")


def main() -> None:
    setup()
    sheet, secretary = fuling_campaign()
    if not ONLY or ONLY & {"pages", "autosave"}:
        pages_and_autosave(sheet, secretary)
    if not ONLY or "pdf" in ONLY:
        branch_pdf(sheet)
    if not ONLY or "import" in ONLY:
        import_bench(IMPORT_ROWS)
    if not ONLY or ONLY & {"consolidation", "lists"}:
        campaign = consolidation(BRANCHES)
        if not ONLY or "lists" in ONLY:
            lists_and_summary(campaign, BRANCHES)


if __name__ == "__main__":
    main()
