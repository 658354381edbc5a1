"""Importing a rubric draft from .xlsx through the shared preview → confirm flow."""

from decimal import Decimal

from django.db import models
from django.urls import reverse

from branches.access import Perm
from branches.toolkit import import_registry

from .models import Method, RubricVersion, VersionStatus
from .services import BandSpec, ItemSpec, band_problems, item_problems, level_problems
from .sheets import (
    VERSION_HEADERS,
    SheetError,
    parse_grade_sheets,
    parse_version_sheet,
    replace_draft_content,
)


class ImportKind(models.TextChoices):
    """The import kinds rubrics registers with the shared import flow."""

    RUBRIC = "rubric", "考评标准草稿"


def _rule_problems(version: RubricVersion, sections: list[dict], grades: dict | None) -> list:
    """The rubric-wide rules (the same checks as the pages and publishing): each item for the
    method the file sets (or the draft's), and the bands and levels the file sets."""
    grades = grades or {}
    method = grades.get("method") or version.method
    problems = []
    for section in sections:
        for item in section["items"]:
            spec = ItemSpec(
                code=item["code"],
                text=item["text"],
                points=item["points"],
                step=item["step"],
                kind=item["kind"],
                key=item["key"],
                weight=item["weight"],
                parts=tuple(item["parts"]),
            )
            problems += item_problems(spec, method=method)
    if "bands" in grades:
        bands = [BandSpec(b["label"], b["minimum"], b["passed"]) for b in grades["bands"]]
        max_total = sum(
            (i["points"] for s in sections for i in s["items"] if i["kind"] != "veto"), Decimal(0)
        )
        if method == Method.COMPOSITE:
            max_total = Decimal(100)
        problems += band_problems(bands, method=method, max_total=max_total or None)
    if method == Method.CHECKLIST and ("level_points" in grades or not version.level_points):
        problems += level_problems(grades.get("level_points", {}))
    return problems


def run(job, *, by, dry_run: bool) -> dict:
    version = RubricVersion.objects.select_related("rubric").get(pk=job.target_id)
    sections, report = parse_version_sheet(bytes(job.content))
    grades, grade_report = parse_grade_sheets(bytes(job.content))
    existing = set(version.indicators.values_list("code", flat=True))
    rows = []
    if not any(r["errors"] for r in report + grade_report):
        problems = _rule_problems(version, sections, grades)
        if problems:
            grade_report.append({"row": None, "label": "考评标准规则", "errors": problems})
    for r in grade_report:
        action = "error" if r["errors"] else "update"
        rows.append(
            {
                "row": r["row"],
                "action": action,
                "action_label": "错误" if r["errors"] else "替换",
                "label": r["label"],
                "errors": r["errors"],
            }
        )
    for r in report:
        code = r["label"].split(" ")[0]
        action = "error" if r["errors"] else ("update" if code in existing else "new")
        rows.append(
            {
                "row": r["row"],
                "action": action,
                "action_label": {"error": "错误", "update": "替换", "new": "新增"}[action],
                "label": r["label"],
                "errors": r["errors"],
            }
        )
    imported = {r["label"].split(" ")[0] for r in report}
    for code in sorted(existing - imported):
        rows.append(
            {
                "row": None,
                "action": "update",
                "action_label": "删除",
                "label": f"{code}（文件中没有，将从草稿删除）",
                "errors": [],
            }
        )
    if version.status != VersionStatus.DRAFT:
        rows.append(
            {
                "row": None,
                "action": "error",
                "action_label": "错误",
                "label": "",
                "errors": ["只能导入到草稿版本；已发布的版本不能修改。"],
            }
        )
    result = import_registry.summarize(rows, len(report))
    if result["ok"] and not dry_run:
        try:
            replace_draft_content(version, sections, grades)
        except SheetError as exc:
            result["ok"] = False
            result["rows"].append(
                {
                    "row": None,
                    "action": "error",
                    "action_label": "错误",
                    "label": "",
                    "errors": [str(exc)],
                }
            )
    return result


def done(job) -> str:
    """After a confirmed import: the draft version's page."""
    version = RubricVersion.objects.select_related("rubric").get(pk=job.target_id)
    return reverse("rubric_version", kwargs={"code": version.rubric.code, "number": version.number})


def register() -> None:
    import_registry.register(
        ImportKind.RUBRIC,
        ImportKind.RUBRIC.label,
        run,
        required=tuple(VERSION_HEADERS[:8]),
        perm=Perm.MANAGE_RUBRICS,
        done=done,
    )
