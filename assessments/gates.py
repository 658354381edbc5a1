"""When a score sheet may be submitted: the one place the workflow's gates are read.

A sheet may be filled (and autosaved) as soon as it exists; it may be submitted only once
its stage has opened, and a review that 000 builds on the self-assessment only once that
organization's self-assessment is final. The sheet page shows the same reason the
submission service refuses with."""

from datetime import date

from django.utils import timezone

from .models import EDITABLE, ScoreSheet, StageKind

# 000 (方法步骤): 全面考评 is made "在全面自评的基础上", 交叉互评 "在全面考评的基础上", and the
# 抽查点评 re-checks both: these reviews wait for the branch's own self-assessment. Other
# documents' stages (003's 督导检查 runs alongside 对标自查) do not.
BUILDS_ON_SELF = (StageKind.FULL, StageKind.CROSS, StageKind.SPOT)


def _day(value: date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def pending_self_sheet(sheet: ScoreSheet, today: date) -> ScoreSheet | None:
    """The organization's self-assessment this review must wait for: still being filled
    (draft or returned) while its stage is still open. After the self-assessment's
    deadline what the branch gave is final (a missing one is itself a finding)."""
    if sheet.stage.kind not in BUILDS_ON_SELF:
        return None
    return (
        ScoreSheet.objects.filter(
            campaign_id=sheet.campaign_id,
            organization_id=sheet.organization_id,
            # The branch's own rubric: a 党委's 7-measures checklist does not build on it.
            rubric_version_id=sheet.rubric_version_id,
            stage__kind=StageKind.SELF,
            stage__position__lt=sheet.stage.position,
            stage__deadline__gte=today,
            status__in=EDITABLE,
        )
        .select_related("stage")
        .first()
    )


def submission_blocker(sheet: ScoreSheet, today: date | None = None) -> str | None:
    """Why ``sheet`` cannot be submitted today (Chinese, shown as is), or None."""
    today = today or timezone.localdate()
    stage = sheet.stage
    if stage.opens_on > today:
        return (
            f"“{stage.name}”阶段 {_day(stage.opens_on)} 开始，届时方可提交"
            "（现在可以先填写，系统自动保存）。"
        )
    if pending := pending_self_sheet(sheet, today):
        return (
            f"{sheet.organization.name}的自查自评尚未提交（自查自评截止 "
            f"{_day(pending.stage.deadline)}）。“{stage.name}”在自查自评的基础上进行，"
            "须待该支部提交自评或自查自评截止后方可提交。"
        )
    return None
