"""Final results, consequences across periods, and the rectification list (一支部一清单)."""

import uuid
from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from branches.models import Category, Organization, OrgKind
from branches.toolkit.labels import choice_label

from .workflow import EXTENSIONS, Campaign, ScoreSheet, Stage, UploadedFile


class BranchResult(models.Model):
    """A branch's final result in a campaign, consolidated from its signed sheets."""

    # Neither key has an index of its own: "result_once" leads with the campaign and the
    # history index with the organization (every index is paid on each of 10,000 inserts).
    campaign = models.ForeignKey(
        Campaign,
        verbose_name="考评活动",
        on_delete=models.PROTECT,
        related_name="results",
        db_index=False,
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name="组织",
        on_delete=models.PROTECT,
        related_name="results",
        db_index=False,
    )
    source_stage = models.ForeignKey(
        Stage,
        verbose_name="结果来源阶段",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    source_sheet = models.ForeignKey(
        ScoreSheet,
        verbose_name="结果来源考评表",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # What the result (and the rectification items listed with it) was drawn from: a sheet
    # reopened and signed again with other content changes it, so consolidating lists the
    # new shortfalls.
    source_digest = models.CharField(
        "来源考评表签发摘要", max_length=64, blank=True, editable=False
    )
    source_note = models.CharField("结果来源", max_length=200)
    total = models.DecimalField("得分", max_digits=7, decimal_places=3)
    max_total = models.DecimalField("满分", max_digits=7, decimal_places=3)
    grade = models.CharField("等次", max_length=30)
    passed = models.BooleanField("达标", null=True)
    original_grade = models.CharField(
        "原评定等次", max_length=30, blank=True, help_text="整改后经决定改评时，保留原等次"
    )
    vetoes = models.JSONField("成立的否决项", default=list, blank=True)
    overturned = models.JSONField("被推翻的否决项", default=list, blank=True)
    unmet_key_items = models.JSONField("未达标▲项", default=list, blank=True)
    inflated_self = models.BooleanField("自评虚高", default=False)
    # A weighted composite (亮牌): each instrument's score and where it came from (a
    # mechanism's value or the signed sheets), as consolidated. When the inputs standing
    # now differ, the result needs 重新汇总 (assessments/mechanisms/selectors.py).
    inputs = models.JSONField("分项评分及来源", default=dict, blank=True)
    # Copied from the campaign when consolidating: a branch's history and the previous
    # period's grade (for consequences) are looked up by this index, across campaigns.
    year = models.PositiveSmallIntegerField("年度")
    quarter = models.PositiveSmallIntegerField("季度", null=True, blank=True)
    rubric_code = models.CharField("考评标准", max_length=40, db_index=True)
    computed_at = models.DateTimeField("汇总时间", auto_now=True)
    # The campaign's ranking, written by ``rank_results`` whenever a grade or score changes
    # (empty only between a result's insert and the ranking in the same transaction).
    rank = models.PositiveIntegerField("排名", null=True, editable=False)
    position = models.PositiveIntegerField("排名顺序", null=True, editable=False)

    class Meta:
        verbose_name = "考评结果"
        verbose_name_plural = "考评结果"
        ordering = ["campaign", "organization__path"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "organization"], name="result_once"),
        ]
        indexes = [
            models.Index(fields=["organization", "rubric_code", "year", "quarter"]),
            models.Index(fields=["campaign", "position"], name="result_ranking"),
            # The ledger filtered by a grade, in the ranking's order: the few 不合格 of a
            # campaign are read directly, not found by walking the ranking past the rest.
            models.Index(fields=["campaign", "grade", "position"], name="result_grade_ranking"),
        ]

    def __str__(self) -> str:
        return f"{self.organization.name} · {self.campaign.name} · {self.grade}"

    @property
    def rate(self):
        """Score as a share of the maximum, in percent (a checklist's compliance rate)."""
        from decimal import Decimal

        if not self.max_total:
            return None
        return (self.total / self.max_total * 100).quantize(Decimal("0.01"))

    @property
    def grade_reason(self) -> str:
        """Why the grade is not what the score alone gives (shown wherever the rank is)."""
        reasons = []
        if self.vetoes:
            reasons.append(f"否决项 {'、'.join(self.vetoes)} 成立，直接定为“{self.grade}”")
        elif self.unmet_key_items:
            top = getattr(self, "top_grade", "") or "最高等次"
            reasons.append(f"▲项 {'、'.join(self.unmet_key_items)} 未达标：等次不能为“{top}”")
        if self.original_grade:
            reasons.append(f"原评定“{self.original_grade}”，经决定改评为“{self.grade}”")
        return "；".join(reasons)

    def audit_org_path(self) -> str:
        return self.organization.path


class VetoOverturn(models.Model):
    """A later stage overturns a veto found earlier; only with a recorded reason."""

    campaign = models.ForeignKey(
        Campaign, verbose_name="考评活动", on_delete=models.PROTECT, related_name="veto_overturns"
    )
    organization = models.ForeignKey(
        Organization, verbose_name="组织", on_delete=models.PROTECT, related_name="+"
    )
    code = models.CharField("否决项编码", max_length=20)
    stage = models.ForeignKey(
        Stage, verbose_name="推翻阶段", on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField("理由")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="决定人", on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = "否决项推翻记录"
        verbose_name_plural = "否决项推翻记录"
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "organization", "code"], name="overturn_once"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="overturn_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.organization} · {self.code}"

    def audit_org_path(self) -> str:
        return self.organization.path


class ConsequenceStatus(models.TextChoices):
    PENDING = "pending", "待落实"
    DONE = "done", "已落实"


class Consequence(models.Model):
    """What a result leads to under the rubric's rules (谈话提醒, 组织诫勉, 加5分, …)."""

    result = models.ForeignKey(
        BranchResult, verbose_name="考评结果", on_delete=models.CASCADE, related_name="consequences"
    )
    rule = models.CharField("规则", max_length=40)
    text = models.CharField("后果", max_length=200)
    basis = models.CharField("依据", max_length=300)
    status = models.CharField(
        "状态", max_length=10, choices=ConsequenceStatus, default=ConsequenceStatus.PENDING
    )
    action = models.TextField("落实情况", blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    done_at = models.DateTimeField("登记时间", null=True, blank=True)

    class Meta:
        verbose_name = "考评结果运用"
        verbose_name_plural = "考评结果运用"
        ordering = ["result__organization__path", "rule"]
        constraints = [
            models.UniqueConstraint(fields=["result", "rule"], name="consequence_once"),
            models.CheckConstraint(
                condition=Q(status=ConsequenceStatus.PENDING)
                | (~Q(action="") & Q(done_at__isnull=False)),
                name="consequence_done_has_action",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.result.organization} · {self.text}"

    @property
    def is_done(self) -> bool:
        return self.status == ConsequenceStatus.DONE

    def audit_org_path(self) -> str:
        return self.result.organization.path


class EffectKind(models.TextChoices):
    """What a consequence that states a status records (the rubric's consequence rule
    names it as its ``effect``; assessments.services.consequences acts on it)."""

    LAGGING = "lagging", "纳入后进党组织"
    INTERVIEW = "interview", "约谈书记"
    NO_AWARDS = "no_awards", "不得评先评优"
    BONUS = "bonus", "书记年度考核加分"
    # Recorded by a pairing (结对提升责任书, 五、3 结果挂钩) for a person and a year.
    NOT_EXCELLENT = "not_excellent", "年度考核不得评为“优秀”"
    PRIORITY = "priority", "优先申报“标准化示范支部”"


class EffectStatus(models.TextChoices):
    IN_FORCE = "in_force", "生效中"
    WITHDRAWN = "withdrawn", "已撤销"


class ConsequenceEffect(models.Model):
    """A consequence recorded as a status or task on the organization or its secretary:
    后进 (the organization's category), a 约谈 (an interview task), 不得评先评优 or a
    bonus in the secretary's annual review, with the result it comes from. Kept as
    history: a re-rating, an overturned veto or a re-consolidation that changes the grade
    withdraws it (with who, when and why) instead of deleting it."""

    # What set it off: a campaign's result, or a pairing's evaluations and acceptance (the
    # 结对提升责任书's 结果挂钩, which concern a person and a year, not a result).
    result = models.ForeignKey(
        BranchResult,
        verbose_name="考评结果",
        on_delete=models.PROTECT,
        related_name="effects",
        null=True,
        blank=True,
    )
    pairing = models.ForeignKey(
        "Pairing",
        verbose_name="结对提升",
        on_delete=models.PROTECT,
        related_name="effects",
        null=True,
        blank=True,
    )
    year = models.PositiveSmallIntegerField("年度考核年度", null=True, blank=True)
    organization = models.ForeignKey(
        Organization,
        verbose_name="组织",
        on_delete=models.PROTECT,
        related_name="consequence_effects",
    )
    rule = models.CharField("规则", max_length=40)
    kind = models.CharField("结果运用", max_length=20, choices=EffectKind)
    text = models.CharField("后果", max_length=200)
    grade = models.CharField("所依等次", max_length=30)
    # What it says where the status is shown, e.g. on the organization's category.
    source = models.CharField("依据", max_length=200)
    person = models.CharField("对象（支部书记）", max_length=50, blank=True)
    # The person's login when known: the effect is then on their own record.
    person_account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="对象账号",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="annual_effects",
    )
    points = models.DecimalField("加分", max_digits=5, decimal_places=2, null=True, blank=True)
    # The category the organization had before a 后进 effect set it: restored on
    # withdrawal while the category still comes from this effect.
    previous_category = models.CharField("原类别", max_length=20, choices=Category, blank=True)
    previous_source = models.CharField("原类别依据", max_length=200, blank=True)
    interview = models.ForeignKey(
        "Interview",
        verbose_name="约谈",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        "状态", max_length=10, choices=EffectStatus, default=EffectStatus.IN_FORCE
    )
    created_at = models.DateTimeField("生效时间", auto_now_add=True)
    withdrawn_at = models.DateTimeField("撤销时间", null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="撤销人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    withdrawn_reason = models.CharField("撤销原因", max_length=200, blank=True)

    class Meta:
        verbose_name = "结果运用记录"
        verbose_name_plural = "结果运用记录"
        ordering = ["-created_at", "-id"]
        constraints = [
            # One effect in force per result and rule; withdrawn ones stay as history.
            models.UniqueConstraint(
                fields=["result", "rule"],
                condition=Q(status=EffectStatus.IN_FORCE),
                name="effect_in_force_once",
            ),
            models.CheckConstraint(
                condition=Q(status=EffectStatus.IN_FORCE)
                | (~Q(withdrawn_reason="") & Q(withdrawn_at__isnull=False)),
                name="effect_withdrawn_has_reason",
                violation_error_message="撤销结果运用必须写明原因。",
            ),
            # A pairing's effect is recorded once per rule and year.
            models.UniqueConstraint(
                fields=["pairing", "rule", "year"],
                condition=Q(status=EffectStatus.IN_FORCE, pairing__isnull=False),
                name="pairing_effect_once_a_year",
            ),
            models.CheckConstraint(
                condition=Q(result__isnull=False)
                | (Q(pairing__isnull=False) & Q(year__isnull=False)),
                name="effect_has_source",
                violation_error_message="结果运用须来自考评结果或结对提升（并注明年度）。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization.name} · {self.get_kind_display()}"

    @property
    def in_force(self) -> bool:
        return self.status == EffectStatus.IN_FORCE

    @property
    def label(self) -> str:
        """What the record says, e.g. "书记年度考核加5分（张三）"."""
        if self.kind == EffectKind.BONUS and self.points is not None:
            what = f"书记年度考核加{self.points.normalize():f}分"
        else:
            what = self.get_kind_display()
        if self.person and self.kind not in (EffectKind.LAGGING, EffectKind.PRIORITY):
            return f"{what}（{self.person}）"
        return what

    @property
    def period_label(self) -> str:
        """The period it belongs to: the result's, or the year of a pairing's effect."""
        if self.result is not None:
            return self.result.campaign.period_label
        return f"{self.year}年度"

    def audit_org_path(self) -> str:
        return self.organization.path


class RectificationKind(models.TextChoices):
    DEDUCTION = "deduction", "扣分"
    KEY_ITEM = "key_item", "▲项未达标"
    VETO = "veto", "否决项"
    CHECKLIST = "checklist", "未达标要点"
    PROBLEM = "problem", "登记问题"  # entered by hand (003's 问题清单), not from a score


class ProblemSource(models.TextChoices):
    """Where a problem on a branch's ledger came from (003: 自查、督导检查…)."""

    ASSESSMENT = "assessment", "考评扣分"
    SELF_CHECK = "self_check", "自查"
    SUPERVISION = "supervision", "督导"
    MASSES = "masses", "群众反映"
    HIGHER = "higher", "上级检查"
    CONSOLIDATION = "consolidation", "集中整顿"
    INSPECTION = "inspection", "互查"  # a problem point an inspection marked (001)
    PAIRING = "pairing", "结对帮扶"  # a weakness or plan action of a pairing (001)
    OTHER = "other", "其他"


class RectificationStatus(models.TextChoices):
    OPEN = "open", "整改中"
    SUBMITTED = "submitted", "待销号"
    RETURNED = "returned", "已退回"
    CLOSED = "closed", "已销号"
    WITHDRAWN = "withdrawn", "已撤销"  # its veto was overturned: no longer a problem


# Items no longer waiting for anyone: closed by a reviewer, or withdrawn.
SETTLED = (RectificationStatus.CLOSED, RectificationStatus.WITHDRAWN)
# With the branch: its measures and evidence may change, and it may submit.
WITH_BRANCH = (RectificationStatus.OPEN, RectificationStatus.RETURNED)


def unsettled_q() -> Q:
    """Still waiting for someone: open, submitted or returned."""
    return ~Q(status__in=SETTLED)


def overdue_q(today: date | None = None) -> Q:
    """Not settled and past its deadline (the one definition of "overdue"; the queryset's
    ``overdue`` and the counts that aggregate several conditions in one query read it)."""
    return unsettled_q() & Q(deadline__lt=today or timezone.localdate())


class RectificationItemQuerySet(models.QuerySet):
    def unsettled(self) -> "RectificationItemQuerySet":
        return self.filter(unsettled_q())

    def overdue(self, today: date | None = None) -> "RectificationItemQuerySet":
        return self.filter(overdue_q(today))

    def reviewed_by(self, user) -> "RectificationItemQuerySet":
        """Items of branches the user scored in the item's campaign."""
        return self.filter(ScoreSheet.objects.reviewed_pairs(user))


class RectificationItem(models.Model):
    """One line of a branch's rectification list (一支部一清单)."""

    # A problem entered by hand (自查、督导、群众反映…) belongs to no campaign or result.
    result = models.ForeignKey(
        BranchResult,
        verbose_name="考评结果",
        on_delete=models.PROTECT,
        related_name="rectifications",
        null=True,
        blank=True,
        db_index=False,  # "rectification_once" leads with it
    )
    campaign = models.ForeignKey(
        Campaign,
        verbose_name="考评活动",
        on_delete=models.PROTECT,
        related_name="rectifications",
        null=True,
        blank=True,
    )
    source = models.CharField(
        "来源", max_length=20, choices=ProblemSource, default=ProblemSource.ASSESSMENT
    )
    found_on = models.DateField("发现日期", null=True, blank=True)
    screening = models.ForeignKey(
        "Screening",
        verbose_name="集中整顿（过筛子）",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rectifications",
        db_index=False,  # mostly empty: a partial index below
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # mostly empty: a partial index below
    )
    # The mechanism that found it (001): the inspectors of an inspection verify its problem
    # points at 回头看, the pairing's helper its weaknesses and plan actions.
    inspection = models.ForeignKey(
        "Inspection",
        verbose_name="互查",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="items",
        db_index=False,  # mostly empty: a partial index below
    )
    pairing = models.ForeignKey(
        "Pairing",
        verbose_name="结对",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="items",
        db_index=False,  # mostly empty: a partial index below
    )
    plan = models.ForeignKey(
        "Plan",
        verbose_name="提升方案",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="items",
        db_index=False,  # mostly empty: a partial index below
    )
    organization = models.ForeignKey(
        Organization, verbose_name="组织", on_delete=models.PROTECT, related_name="rectifications"
    )
    code = models.CharField("指标编码", max_length=20)
    kind = models.CharField("类型", max_length=20, choices=RectificationKind)
    problem = models.TextField("问题")
    measure = models.TextField("整改措施", blank=True)
    responsible = models.CharField("责任人", max_length=50, blank=True)
    deadline = models.DateField("整改时限")
    status = models.CharField(
        "状态", max_length=10, choices=RectificationStatus, default=RectificationStatus.OPEN
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="销号人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # mostly empty: a partial index below
    )
    closed_at = models.DateTimeField("销号时间", null=True, blank=True)
    follow_up = models.TextField("回头看情况", blank=True)
    follow_up_on = models.DateField("回头看日期", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    objects = RectificationItemQuerySet.as_manager()

    class Meta:
        verbose_name = "整改事项"
        verbose_name_plural = "整改事项"
        ordering = ["organization__path", "deadline", "code"]
        constraints = [
            models.UniqueConstraint(fields=["result", "code", "kind"], name="rectification_once"),
            # An item from a score belongs to its result; one entered by hand to none.
            models.CheckConstraint(
                condition=(
                    Q(source=ProblemSource.ASSESSMENT, result__isnull=False)
                    | (~Q(source=ProblemSource.ASSESSMENT) & Q(result__isnull=True))
                ),
                name="rectification_source_result",
                violation_error_message="考评产生的整改事项必须属于一个考评结果，手工登记的问题不属于任何考评结果。",
            ),
            models.CheckConstraint(
                condition=~Q(status=RectificationStatus.CLOSED)
                | Q(closed_by__isnull=False, closed_at__isnull=False),
                name="rectification_closed_has_closer",
            ),
            # An inspection's problem names its inspection, a pairing's item its pairing.
            models.CheckConstraint(
                condition=(Q(source=ProblemSource.INSPECTION) & Q(inspection__isnull=False))
                | (~Q(source=ProblemSource.INSPECTION) & Q(inspection__isnull=True)),
                name="rectification_inspection_source",
            ),
            models.CheckConstraint(
                condition=(Q(source=ProblemSource.PAIRING) & Q(pairing__isnull=False))
                | (~Q(source=ProblemSource.PAIRING) & Q(pairing__isnull=True, plan__isnull=True)),
                name="rectification_pairing_source",
            ),
        ]
        # A key that is empty on most rows (every item a consolidation writes) is indexed
        # only where it is set: 80,000 inserts skip three index entries each.
        indexes = [
            models.Index(fields=["status", "deadline"]),
            *(
                models.Index(
                    fields=[key],
                    condition=Q(**{f"{key}__isnull": False}),
                    name=f"rectification_{key}",
                )
                for key in ("screening", "created_by", "closed_by", "inspection", "pairing", "plan")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization.name} · {self.code}"

    @property
    def is_submitted(self) -> bool:
        return self.status == RectificationStatus.SUBMITTED

    @property
    def is_closed(self) -> bool:
        return self.status == RectificationStatus.CLOSED

    @property
    def status_label(self) -> str:
        return choice_label(RectificationStatus, self.status)

    @property
    def kind_label(self) -> str:
        return choice_label(RectificationKind, self.kind)

    @property
    def overdue(self) -> bool:
        """The row form of ``RectificationItemQuerySet.overdue``."""
        return self.status not in SETTLED and self.deadline < timezone.localdate()

    def audit_org_path(self) -> str:
        return self.organization.path


class Screening(models.Model):
    """The yearly screening (过筛子, measure 5 of the 7; 003's 先进/一般/软弱): the committee
    classifies a branch with a reason. Kept as history; the latest one is the category in
    the tree, and a 后进 one opens the branch's 集中整顿 items."""

    # Who is screened: "基层党委负责每年对所属党支部进行1次过筛子" (000) — 党支部, not the
    # 党小组, 党总支 or 党委 above or below them. The overview counts these; only these
    # may be classified.
    KIND = OrgKind.BRANCH

    organization = models.ForeignKey(
        Organization, verbose_name="组织", on_delete=models.PROTECT, related_name="screenings"
    )
    year = models.PositiveSmallIntegerField("年度")
    category = models.CharField("类别", max_length=20, choices=Category)
    reason = models.TextField("理由")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="评定人", on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField("评定时间", auto_now_add=True)

    class Meta:
        verbose_name = "年度过筛子"
        verbose_name_plural = "年度过筛子"
        ordering = ["-year", "-at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(reason=""),
                name="screening_reason",
                violation_error_message="评定类别必须写明理由。",
            ),
            models.CheckConstraint(
                condition=Q(year__gte=2000, year__lte=2100), name="screening_year_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization.name} · {self.year} · {self.get_category_display()}"

    def audit_org_path(self) -> str:
        return self.organization.path


class RectificationEvent(models.Model):
    item = models.ForeignKey(
        RectificationItem, verbose_name="整改事项", on_delete=models.CASCADE, related_name="events"
    )
    at = models.DateTimeField("时间", auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", on_delete=models.PROTECT, related_name="+"
    )
    from_status = models.CharField("原状态", max_length=10, choices=RectificationStatus)
    to_status = models.CharField("新状态", max_length=10, choices=RectificationStatus)
    note = models.TextField("说明", blank=True)

    class Meta:
        verbose_name = "整改流转记录"
        verbose_name_plural = "整改流转记录"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"


def rectification_path(instance: "RectificationEvidence", filename: str) -> str:
    return f"rectification/{instance.item.campaign_id}/{uuid.uuid4().hex}" + EXTENSIONS.get(
        instance.content_type, ""
    )


class RectificationEvidence(UploadedFile):
    item = models.ForeignKey(
        RectificationItem,
        verbose_name="整改事项",
        on_delete=models.CASCADE,
        related_name="evidence",
    )
    file = models.FileField("文件", upload_to=rectification_path)

    class Meta(UploadedFile.Meta):
        verbose_name = "整改佐证材料"
        verbose_name_plural = "整改佐证材料"


class Rerating(models.Model):
    """A recorded decision to re-rate a branch after rectification (e.g. 争先 → 达标)."""

    result = models.ForeignKey(
        BranchResult, verbose_name="考评结果", on_delete=models.PROTECT, related_name="reratings"
    )
    from_grade = models.CharField("原等次", max_length=30)
    to_grade = models.CharField("改评等次", max_length=30)
    reason = models.TextField("决定理由")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="决定人", on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = "改评决定"
        verbose_name_plural = "改评决定"
        ordering = ["at"]
        constraints = [models.CheckConstraint(condition=~Q(reason=""), name="rerating_reason")]

    def __str__(self) -> str:
        return f"{self.result.organization} {self.from_grade} → {self.to_grade}"

    def audit_org_path(self) -> str:
        return self.result.organization.path


def report_path(instance, filename: str) -> str:
    # A random name (never the organization's), keeping what kind of file it is.
    suffix = ".zip" if filename.endswith(".zip") else ".pdf"
    return f"reports/{uuid.uuid4().hex}{suffix}"


class StoredReport(models.Model):
    """The PDF of a signed sheet, rendered once and downloaded identical every time."""

    sheet = models.OneToOneField(
        ScoreSheet, verbose_name="考评表", on_delete=models.PROTECT, related_name="stored_report"
    )
    file = models.FileField("文件", upload_to=report_path)
    sha256 = models.CharField("SHA-256", max_length=64)
    created_at = models.DateTimeField("生成时间", auto_now_add=True)

    class Meta:
        verbose_name = "已签发考评报告"
        verbose_name_plural = "已签发考评报告"

    def __str__(self) -> str:
        return str(self.sheet)


class ReportKind(models.TextChoices):
    SUMMARY = "summary", "领导汇总报告"
    EVALUATION = "evaluation", "总体评估报告"
    BRANCH_ZIP = "branch_zip", "全部支部考评报告（压缩包）"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "生成中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"


class ReportJob(models.Model):
    """A report rendered in the background, with progress the requester watches."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField("报告", max_length=20, choices=ReportKind)
    campaign = models.ForeignKey(
        Campaign, verbose_name="考评活动", on_delete=models.CASCADE, related_name="report_jobs"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申请人", on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField("状态", max_length=10, choices=JobStatus, default=JobStatus.QUEUED)
    progress = models.PositiveSmallIntegerField("进度（%）", default=0)
    message = models.CharField("说明", max_length=300, blank=True)
    file = models.FileField("文件", upload_to=report_path, blank=True)
    created_at = models.DateTimeField("申请时间", auto_now_add=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = "报告生成任务"
        verbose_name_plural = "报告生成任务"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="job_progress_100"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.campaign}"

    @property
    def is_pending(self) -> bool:
        return self.status in (JobStatus.QUEUED, JobStatus.RUNNING)

    @property
    def is_done(self) -> bool:
        return self.status == JobStatus.DONE

    @property
    def is_failed(self) -> bool:
        return self.status == JobStatus.FAILED

    @property
    def is_zip(self) -> bool:
        return self.kind == ReportKind.BRANCH_ZIP


class ItemFact(models.Model):
    """The scoring engine's result for one item of a submitted (or signed) sheet: what it
    scored, what it lost, whether it is an unmet ▲ item or a veto found, and the line that
    states it. Stored when the sheet is submitted and again when it is signed, so the
    branch report, the rectification list and the ledger read one set of facts instead of
    working shortfalls out again (``rubrics.scoring`` stays the only place that does)."""

    sheet = models.ForeignKey(
        ScoreSheet,
        verbose_name="考评表",
        on_delete=models.CASCADE,
        related_name="facts",
        db_index=False,  # "fact_once_per_item" leads with it
    )
    position = models.PositiveIntegerField("顺序")
    code = models.CharField("指标编码", max_length=20)
    kind = models.CharField("类型", max_length=20, choices=RectificationKind)
    got = models.DecimalField("得分", max_digits=7, decimal_places=3, null=True)
    max = models.DecimalField("满分", max_digits=7, decimal_places=3, null=True)
    lost = models.DecimalField("失分", max_digits=7, decimal_places=3, default=0)
    unmet = models.BooleanField("▲项未达标", default=False)
    veto = models.BooleanField("否决项", default=False)
    note = models.TextField("扣分说明", blank=True)
    reason = models.TextField("问题")

    class Meta:
        verbose_name = "逐项结果"
        verbose_name_plural = "逐项结果"
        ordering = ["sheet", "position"]
        constraints = [
            models.UniqueConstraint(fields=["sheet", "code", "kind"], name="fact_once_per_item"),
        ]
        indexes = [
            # The shortfalls of a sheet, which the rectification list reads (a tenth of its
            # facts): without it, consolidation reads every fact's row to find them.
            # ``rectification._shortfall_sql`` states the same condition.
            models.Index(
                fields=["sheet"],
                condition=Q(lost__gt=0) | Q(unmet=True),
                name="fact_shortfall",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.reason}"
