"""Importing a rubric draft from .xlsx through the shared preview → confirm flow."""

from django.db import models
from django.urls import reverse

from branches.access import Perm
from branches.toolkit import import_registry

from .models import RubricVersion, VersionStatus
from .sheets import VERSION_HEADERS, SheetError, parse_version_sheet, replace_draft_content


class ImportKind(models.TextChoices):
    """The import kinds rubrics registers with the shared import flow."""

    RUBRIC = "rubric", "考评标准草稿"


def run(job, *, by, dry_run: bool) -> dict:
    version = RubricVersion.objects.select_related("rubric").get(pk=job.target_id)
    sections, report = parse_version_sheet(bytes(job.content))
    existing = set(version.indicators.values_list("code", flat=True))
    rows = []
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
            replace_draft_content(version, sections)
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
