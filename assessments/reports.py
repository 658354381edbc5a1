"""Branch reports, leader summaries and the overall evaluation report, as PDFs."""

import hashlib
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.template.loader import render_to_string
from django.utils import timezone

from branches.models import User
from branches.toolkit.downloads import FILE_NAME_FORBIDDEN, safe_name

from . import pages, selectors
from .committee import committee_measures
from .models import (
    Campaign,
    DocumentKind,
    IssuedDocument,
    RectificationItem,
    RectificationStatus,
    ScoreSheet,
    SheetStatus,
    StoredReport,
)
from .pdf import StaticOnlyFetcher, render_pdf
from .services.documents import issue_document, issuer_name, issuer_of, keep_document_file
from .services.errors import AssessmentError
from .services.facts import facts_of
from .services.results import consequence_rules
from .services.sheets import tamper_warning, tampered

Progress = Callable[[int, str], None]


SUMMARY_ADDRESSEE = "各基层党组织"  # 主送 of the campaign-wide reports


def official_header(
    campaign: Campaign, *, document: IssuedDocument | None, day, addressee: str = ""
) -> dict:
    """The parts of an official document (GB/T 9704) a report prints: the 发文机关标志 of
    the 红头 ("…文件") and the 落款 (REPORT_ISSUER, else the campaign's scope 党委), the 文号
    the register gave the document (none for a document not issued, such as an unsigned
    sheet's report), the 主送机关, the date of the 落款 and the 版记 (抄送, 印发机关 and
    印发日期)."""
    issuer = document.issuer_name if document else issuer_name(issuer_of(campaign))
    return {
        "issuer": issuer,
        "mark": f"{issuer}文件",
        "red_header": settings.REPORT_RED_HEADER,
        "number": document.number if document else "",
        "addressee": addressee,
        "date": day,
        "copy_to": settings.REPORT_COPY_TO,
        "printed_by": settings.REPORT_PRINTED_BY or issuer,
    }


def branch_context(sheet: ScoreSheet, *, document: IssuedDocument | None = None) -> dict:
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
        for f in facts_of(sheet, rules)
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
            document=document,
            day=timezone.localtime(sheet.signed_at) if sheet.signed_at else timezone.localdate(),
            addressee=sheet.organization.name,
        ),
    }


def render_branch(
    sheet: ScoreSheet,
    *,
    fetcher: StaticOnlyFetcher | None = None,
    document: IssuedDocument | None = None,
) -> bytes:
    context = branch_context(sheet, document=document)
    return render_pdf("reports/branch.html", context, fetcher=fetcher)


def branch_title(sheet: ScoreSheet) -> str:
    return f"{sheet.organization.name}考评报告（{sheet.stage.name}）"


def branch_report(sheet: ScoreSheet, *, by: User | None = None) -> bytes:
    """A signed sheet's report is issued once: the register gives it its 文号 (taken by
    ``by``, who first asked for it), it is rendered with that number and stored, and every
    download is that stored file. An unsigned sheet's report is rendered fresh, marked as
    not signed and carries no 文号 (it is not an issued document).

    No transaction is held while rendering (seconds of CPU): on SQLite an open write
    transaction would block every other writer for the whole render."""
    if sheet.status != SheetStatus.SIGNED:
        return render_branch(sheet)
    stored = StoredReport.objects.filter(sheet=sheet).first()
    if stored is not None and stored.file:
        with stored.file.open("rb") as handle:
            return handle.read()
    document = issue_document(
        sheet.campaign, by=by, kind=DocumentKind.BRANCH, title=branch_title(sheet), sheet=sheet
    )
    content = render_branch(sheet, document=document)
    try:
        with transaction.atomic():
            stored = StoredReport(sheet=sheet, sha256=hashlib.sha256(content).hexdigest())
            stored.file.save("report.pdf", ContentFile(content), save=False)
            stored.save()
        keep_document_file(document, content, store=False)
    except IntegrityError:
        # Rendered twice at once: the first stored copy is the one every download gets.
        stored = StoredReport.objects.get(sheet=sheet)
        with stored.file.open("rb") as handle:
            return handle.read()
    return content


# -- printed score sheets (A4, to fill by hand on site or to read a filled one) -----------


def blank_sheet_pdf(version) -> bytes:
    """A version's score sheet with empty score and note columns."""
    from rubrics.selectors import rules_for
    from rubrics.sheets import score_sheet_rows

    return render_pdf(
        "reports/score_sheet.html",
        {
            "title": f"{version.rubric.name}评分表",
            "subtitle": f"第 {version.number} 版 · 被考评组织：＿＿＿＿＿＿＿＿＿＿",
            "running": f"{version.rubric.name}（第 {version.number} 版）",
            "rows": score_sheet_rows(version, rules_for(version)),
            "filled": False,
        },
    )


def filled_sheet_pdf(sheet: ScoreSheet) -> bytes:
    """A sheet with its scores and notes as stored now (its status in the subtitle)."""
    from .offline import filled_rows

    return render_pdf(
        "reports/score_sheet.html",
        {
            "title": f"{sheet.organization.name}评分表",
            "subtitle": f"{sheet.campaign.name} · {sheet.stage.name} · "
            f"{sheet.get_status_display()} · 打分人：{sheet.assessor}",
            "running": f"{sheet.campaign.name} · {sheet.organization.name}",
            "rows": filled_rows(sheet),
            "filled": True,
        },
    )


def consequence_basis(version) -> str:
    """The use of results that the campaign's own source document prescribes ("" if none):
    the same rules consolidation applies, so a report never cites another document."""
    return consequence_rules(version.consequence_rules).basis


def main_problems(campaign: Campaign, limit: int = 10) -> list[tuple[str, str, int]]:
    """The indicators with the most rectification items: (code, the indicator's text, count),
    counted in the database."""
    from rubrics.models import Indicator, IndicatorPart

    counts = list(
        RectificationItem.objects.filter(campaign=campaign)
        .exclude(status=RectificationStatus.WITHDRAWN)
        .values("code")
        .annotate(n=Count("pk"))
        .order_by("-n", "code")
        .values_list("code", "n")[:limit]
    )
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


# How many rows each list of a summary prints (the top and the bottom of the ranking, the
# failing, the overdue, the inflated): a summary a leader reads is the same few pages for
# 300 branches or 50,000; the full ranking is the Excel ledger beside it.
SUMMARY_ROWS = 20


@dataclass(frozen=True)
class Excerpt:
    """At most SUMMARY_ROWS rows of a longer list, with how many there are in all."""

    rows: list
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.rows)


def _tail(queryset, total: int, limit: int = SUMMARY_ROWS) -> list:
    return list(queryset[max(total - limit, 0) : total]) if total else []


def summary_context(campaign: Campaign, progress: Progress | None = None) -> dict:
    """What a leader summary prints, every figure aggregated in the database and every
    list cut to SUMMARY_ROWS: its size does not grow with the number of branches."""
    step = progress or (lambda percent, message: None)
    step(10, "汇总统计")
    summary = selectors.campaign_summary(campaign)
    ledger = selectors.results_ledger(campaign)
    failing = ledger.filter(passed=False)
    inflated = ledger.filter(inflated_self=True)
    n_failing, n_inflated = failing.count(), inflated.count()
    step(40, "绘制图表")
    overdue = (
        RectificationItem.objects.filter(campaign=campaign)
        .overdue()
        .select_related("organization")
        .order_by("deadline", "pk")
    )
    bands = campaign.rubric_version.bands.all()
    return {
        "campaign": campaign,
        "summary": summary,
        "ranking": selectors.ranking_excerpt(campaign, SUMMARY_ROWS),
        # The lowest-ranked failing results, the earliest overdue items, the first inflated.
        "failing": Excerpt(_tail(failing, n_failing), n_failing),
        "inflated": Excerpt(list(inflated[:SUMMARY_ROWS]), n_inflated),
        "overdue": Excerpt(list(overdue[:SUMMARY_ROWS]), overdue.count()),
        "problems": main_problems(campaign),
        "failing_grades": [b.label for b in bands if not b.passed],
        "consequence_basis": consequence_basis(campaign.rubric_version),
        "committee": committee_measures(campaign),
        **pages.summary_charts(campaign, summary, responsive=False),
        "generated_at": timezone.localtime(),
        "official": official_header(
            campaign, document=None, day=timezone.localdate(), addressee=SUMMARY_ADDRESSEE
        ),
    }


def member_name(name: str) -> str:
    """A zip member name safe on every unzip tool: no path separators, no characters
    Windows refuses (\\ / : * ? " < > |), no control characters, no leading dots (no
    ``..``), at most 150 characters."""
    return safe_name(name, forbidden=FILE_NAME_FORBIDDEN, limit=150, default="报告")


def zip_members(campaign: Campaign, *, by: User | None = None) -> Iterator[tuple[str, bytes]]:
    """Each signed sheet's stored report as (zip member name, content), one at a time (a
    report not issued yet is issued now, by ``by``): a generator, so the one who writes
    the zip holds one PDF at a time, whatever the number of branches. A sheet that fails
    its digest gives a warning in place of its report."""
    sheets = (
        ScoreSheet.objects.filter(campaign=campaign, status=SheetStatus.SIGNED)
        .select_related("organization", "stage", "assessor", "rubric_version")
        .prefetch_related("entries", "vetoes")
        .order_by("organization__code", "stage__position", "pk")
    )
    for sheet in sheets.iterator(chunk_size=ZIP_CHUNK):
        org = sheet.organization
        name = member_name(f"{org.code}-{org.name}-{sheet.stage.name}-{sheet.pk}")
        if tampered(sheet):
            # Never ship a report whose sheet fails its digest: say so in its place.
            yield f"警告-{name}.txt", tamper_warning(sheet).encode()
        else:
            yield f"{name}.pdf", branch_report(sheet, by=by)


# Sheets read from the database at a time while zipping (each with its entries).
ZIP_CHUNK = 50


def write_branch_zip(
    campaign: Campaign,
    target: BinaryIO,
    progress: Progress | None = None,
    *,
    by: User | None = None,
) -> int:
    """Every signed sheet's report zipped into ``target`` (a temporary file the task then
    hands to storage), written member by member as ``zip_members`` yields them: never the
    whole zip, and never more than one PDF, in memory. Returns the number of members."""
    total = ScoreSheet.objects.filter(campaign=campaign, status=SheetStatus.SIGNED).count()
    n = 0
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        # No enumerate(): it would keep the last (name, content) while the next is read.
        for name, content in zip_members(campaign, by=by):
            archive.writestr(name, content)
            del content  # the next report is read only once this one is let go
            n += 1
            if progress:
                progress(min(95, 5 + 90 * n // max(total, 1)), f"已生成 {n}/{total} 份")
        if not n:
            archive.writestr("说明.txt", "本考评活动还没有已签发的考评表。")
    return n


SUMMARY_TEMPLATES: dict[str, str] = {
    DocumentKind.SUMMARY: "reports/summary.html",
    DocumentKind.EVALUATION: "reports/evaluation.html",
}


def content_digest(template: str, context: dict) -> str:
    """The fingerprint of what a summary says: its HTML with the generation time, the
    文号 and the 落款 date left out, so the same figures give the same digest."""
    neutral = {
        **context,
        "generated_at": None,
        "official": {**context["official"], "number": "", "date": None},
    }
    return hashlib.sha256(render_to_string(template, neutral).encode()).hexdigest()


def render_summary(
    campaign: Campaign,
    *,
    kind: str = "summary",
    progress: Progress | None = None,
    fetcher: StaticOnlyFetcher | None = None,
    by: User | None = None,
) -> bytes:
    """A leader summary or overall evaluation report, issued through the register: the
    same content as the last one issued for the campaign is that document again (its
    number, its stored file); changed content is a new document with the next number."""
    if kind not in SUMMARY_TEMPLATES:
        raise AssessmentError("没有这种报告。")
    context = summary_context(campaign, progress)
    template = SUMMARY_TEMPLATES[kind]
    document = issue_document(
        campaign,
        by=by,
        kind=kind,
        title=f"{campaign.name}{DocumentKind(kind).label}",
        content_digest=content_digest(template, context),
    )
    if document.file:
        with document.file.open("rb") as handle:
            content = handle.read()
        if progress:
            progress(95, f"内容未变，沿用 {document.number or '原报告'}")
        return content
    context["official"] = official_header(
        campaign,
        document=document,
        day=timezone.localtime(document.issued_at).date(),
        addressee=SUMMARY_ADDRESSEE,
    )
    if progress:
        progress(60, "排版")
    content = render_pdf(template, context, fetcher=fetcher)
    if progress:
        progress(95, "保存")
    keep_document_file(document, content)
    return content
