"""Branch reports, leader summaries and the overall evaluation report, as PDFs."""

import hashlib
from collections import Counter
from collections.abc import Callable

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from . import charts, pages, selectors, services
from .committee import committee_measures
from .models import (
    Campaign,
    RectificationItem,
    RectificationStatus,
    ReportKind,
    ScoreSheet,
    SheetStatus,
    StoredReport,
)
from .pdf import StaticOnlyFetcher, render_pdf

Progress = Callable[[int, str], None]


def official_header(campaign: Campaign, *, serial: int, day) -> dict:
    """The parts of an official document (GB/T 9704) a report prints: the issuing
    organization (REPORT_ISSUER, else the campaign's scope 党委) in the 红头 and the 落款, the
    文号 and the date of the 落款. Configured once per deployment in settings."""
    issuer = settings.REPORT_ISSUER or campaign.scope.name
    prefix = settings.REPORT_DOC_PREFIX
    return {
        "issuer": issuer,
        "red_header": settings.REPORT_RED_HEADER,
        "number": f"{prefix}〔{campaign.year}〕{serial}号" if prefix else "",
        "date": day,
    }


def branch_context(sheet: ScoreSheet) -> dict:
    rules = selectors.sheet_rules(sheet)
    others = selectors.other_sheets(sheet, formal=True)
    rows = pages.sheet_rows(sheet, rules, others)
    # The engine's per-item facts, stored at submission (a draft's: scored on the fly).
    items = {i.code: i for i in rules.items()}
    deductions = [
        {
            "code": f.code,
            "text": items[f.code].text if f.code in items else f.reason,
            "key": items[f.code].key if f.code in items else False,
            "got": f.got,
            "max": f.max,
            "note": f.note,
        }
        for f in services.facts_of(sheet, rules)
        if not f.veto and f.lost > 0
    ]
    return {
        "sheet": sheet,
        "campaign": sheet.campaign,
        "org": sheet.organization,
        "rules": rules,
        "sections": rows,
        "others": others,
        "deductions": deductions,
        "vetoes": list(sheet.vetoes.all()),
        "rectifications": RectificationItem.objects.filter(
            campaign=sheet.campaign, organization=sheet.organization
        ).order_by("code"),
        "generated_at": timezone.localtime(),
        "official": official_header(
            sheet.campaign,
            serial=sheet.pk,
            day=timezone.localtime(sheet.signed_at) if sheet.signed_at else timezone.localdate(),
        ),
    }


def render_branch(sheet: ScoreSheet, *, fetcher: StaticOnlyFetcher | None = None) -> bytes:
    return render_pdf("reports/branch.html", branch_context(sheet), fetcher=fetcher)


def branch_report(sheet: ScoreSheet) -> bytes:
    """A signed sheet's report is rendered once and stored; every download is identical.
    An unsigned sheet's report is rendered fresh and marked as not signed.

    No transaction is held while rendering (seconds of CPU): on SQLite an open write
    transaction would block every other writer for the whole render."""
    if sheet.status != SheetStatus.SIGNED:
        return render_branch(sheet)
    stored = StoredReport.objects.filter(sheet=sheet).first()
    if stored is not None and stored.file:
        with stored.file.open("rb") as handle:
            return handle.read()
    content = render_branch(sheet)
    try:
        with transaction.atomic():
            stored = StoredReport(sheet=sheet, sha256=hashlib.sha256(content).hexdigest())
            stored.file.save("report.pdf", ContentFile(content), save=False)
            stored.save()
    except IntegrityError:
        # Rendered twice at once: the first stored copy is the one every download gets.
        stored = StoredReport.objects.get(sheet=sheet)
        with stored.file.open("rb") as handle:
            return handle.read()
    return content


def consequence_basis(version) -> str:
    """The use of results that the campaign's own source document prescribes ("" if none):
    the same rules consolidation applies, so a report never cites another document."""
    from .services.results import consequence_rules

    return consequence_rules(version.consequence_rules).basis


def main_problems(campaign: Campaign, limit: int = 10) -> list[tuple[str, str, int]]:
    """The indicators with the most rectification items: (code, the indicator's text, count)."""
    from rubrics.models import Indicator, IndicatorPart

    counts = Counter(
        RectificationItem.objects.filter(campaign=campaign)
        .exclude(status=RectificationStatus.WITHDRAWN)
        .values_list("code", flat=True)
    ).most_common(limit)
    codes = [code for code, _ in counts]
    version = campaign.rubric_version_id
    texts = dict(
        IndicatorPart.objects.filter(indicator__version_id=version, code__in=codes).values_list(
            "code", "text"
        )
    )
    texts.update(
        Indicator.objects.filter(version_id=version, code__in=codes).values_list("code", "text")
    )
    return [(code, texts.get(code, ""), n) for code, n in counts]


def summary_context(campaign: Campaign, progress: Progress | None = None) -> dict:
    step = progress or (lambda percent, message: None)
    step(10, "汇总统计")
    summary = selectors.campaign_summary(campaign)
    results = list(selectors.results_ledger(campaign))
    step(40, "绘制图表")
    by_enterprise = [
        (row["organization__enterprise__name"] or "—", row["rate"] or 0)
        for row in summary["by_enterprise"]
    ]
    distribution = [(d["grade"], d["n"]) for d in summary["distribution"]]
    overdue = (
        RectificationItem.objects.filter(campaign=campaign)
        .overdue()
        .select_related("organization")
        .order_by("deadline")
    )
    bands = campaign.rubric_version.bands.all()
    return {
        "campaign": campaign,
        "summary": summary,
        "results": results,
        "failing": [r for r in results if r.passed is False],
        "inflated": [r for r in results if r.inflated_self],
        "overdue": list(overdue),
        "problems": main_problems(campaign),
        "failing_grades": [b.label for b in bands if not b.passed],
        "consequence_basis": consequence_basis(campaign.rubric_version),
        "committee": committee_measures(campaign),
        "chart_enterprise": charts.bar_chart(
            by_enterprise, title="各企业达标率", unit="%", maximum=100, responsive=False
        ),
        "chart_grades": charts.bar_chart(
            distribution, title="等次分布", unit=" 个", responsive=False
        ),
        "chart_trend": charts.line_chart(
            selectors.trend(campaign), title="历次考评达标率", responsive=False
        ),
        "generated_at": timezone.localtime(),
        "official": official_header(campaign, serial=campaign.pk, day=timezone.localdate()),
    }


def member_name(name: str) -> str:
    """A zip member name safe on every unzip tool: no path separators, no characters
    Windows refuses (\\ / : * ? " < > |), no control characters, no leading dots (no
    ``..``), at most 150 characters."""
    import re

    cleaned = re.sub(r'[\\/:*?"<>|\x00-\x1f\x7f]', "_", name.strip(" ."))
    cleaned = re.sub(r"\.{2,}", "_", cleaned).strip(" .")
    return cleaned[:150] or "报告"


def branch_zip(campaign: Campaign, progress: Progress | None = None) -> bytes:
    """Every signed sheet's stored report in one zip, named by organization and stage."""
    import io
    import zipfile

    sheets = list(
        ScoreSheet.objects.filter(campaign=campaign, status=SheetStatus.SIGNED)
        .select_related("organization", "stage", "assessor", "rubric_version")
        .prefetch_related("entries", "vetoes")
        .order_by("organization__path", "stage__position", "pk")
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for n, sheet in enumerate(sheets, start=1):
            org = sheet.organization
            name = member_name(f"{org.code}-{org.name}-{sheet.stage.name}-{sheet.pk}")
            if services.tampered(sheet):
                # Never ship a report whose sheet fails its digest: say so in its place.
                archive.writestr(f"警告-{name}.txt", services.tamper_warning(sheet))
            else:
                archive.writestr(f"{name}.pdf", branch_report(sheet))
            if progress:
                progress(min(95, 5 + 90 * n // max(len(sheets), 1)), f"已生成 {n}/{len(sheets)} 份")
        if not sheets:
            archive.writestr("说明.txt", "本考评活动还没有已签发的考评表。")
    return out.getvalue()


def render_summary(
    campaign: Campaign,
    *,
    kind: str = "summary",
    progress: Progress | None = None,
    fetcher: StaticOnlyFetcher | None = None,
) -> bytes:
    context = summary_context(campaign, progress)
    if progress:
        progress(60, "排版")
    evaluation = kind == ReportKind.EVALUATION
    template = "reports/evaluation.html" if evaluation else "reports/summary.html"
    content = render_pdf(template, context, fetcher=fetcher)
    if progress:
        progress(95, "保存")
    return content
