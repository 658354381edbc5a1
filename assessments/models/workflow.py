"""Campaigns, stages, draws, score sheets and their events."""

import uuid
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from branches.models import CrossReviewGroup, Organization, OrgKind
from rubrics.models import RubricVersion

if TYPE_CHECKING:
    from rubrics.scoring import Rules
    from rubrics.selectors import Structure


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", "筹备中"
    OPEN = "open", "进行中"
    CLOSED = "closed", "已结束"


class Consolidation(models.TextChoices):
    """How a campaign's final results are drawn from its stages. Set when the campaign is
    created, from its rubric's method (informational: consolidation follows the method)."""

    LATEST = "latest", "以最后一个权威阶段为准（抽查点评 > 交叉互评 > 全面考评）"
    COMPOSITE = "composite", "按各分项加权综合（亮牌）"


# 自评虚高: a branch's own score above the review's by more than this many points, unless
# the campaign sets its own threshold (Campaign.discrepancy_threshold).
DEFAULT_DISCREPANCY_THRESHOLD = Decimal(10)


class Campaign(models.Model):
    name = models.CharField("名称", max_length=120)
    rubric_version = models.ForeignKey(
        RubricVersion,
        verbose_name="考评标准版本",
        on_delete=models.PROTECT,
        related_name="campaigns",
    )
    committee_version = models.ForeignKey(
        RubricVersion,
        verbose_name="党委评估清单",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="committee_campaigns",
        help_text="交叉互评时对各党委评估“7条具体措施”（可选）",
    )
    scope = models.ForeignKey(
        Organization, verbose_name="考评范围", on_delete=models.PROTECT, related_name="campaigns"
    )
    kinds = models.JSONField("考评对象类型", default=list)
    year = models.PositiveSmallIntegerField("年度")
    quarter = models.PositiveSmallIntegerField("季度", null=True, blank=True)
    status = models.CharField(
        "状态", max_length=10, choices=CampaignStatus, default=CampaignStatus.DRAFT
    )
    consolidation = models.CharField(
        "结果汇总规则", max_length=20, choices=Consolidation, default=Consolidation.LATEST
    )
    discrepancy_threshold = models.DecimalField(
        "自评虚高阈值（分）",
        max_digits=5,
        decimal_places=2,
        default=DEFAULT_DISCREPANCY_THRESHOLD,
        help_text="自评得分比考评得分高出此分值以上，标记“自评虚高”",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="创建人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    # Whether its objects are stored (assessments.selectors remembers it once true).
    _objects_fixed: bool

    class Meta:
        verbose_name = "考评活动"
        verbose_name_plural = "考评活动"
        ordering = ["-year", "-quarter", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quarter__isnull=True) | Q(quarter__gte=1, quarter__lte=4),
                name="campaign_quarter_1_4",
            ),
            models.CheckConstraint(
                condition=Q(discrepancy_threshold__gte=0), name="campaign_threshold_nonneg"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def kinds_labels(self) -> list[str]:
        return [OrgKind(k).label for k in self.kinds]

    @property
    def period_label(self) -> str:
        return f"{self.year}年第{self.quarter}季度" if self.quarter else f"{self.year}年度"

    @property
    def is_draft(self) -> bool:
        return self.status == CampaignStatus.DRAFT

    @property
    def is_open(self) -> bool:
        return self.status == CampaignStatus.OPEN

    @property
    def is_closed(self) -> bool:
        return self.status == CampaignStatus.CLOSED

    def audit_org_path(self) -> str:
        return self.scope.path


class CampaignObject(models.Model):
    """An organization a campaign assesses, fixed when the campaign opens (with the
    enterprise it belonged to then): every count, rate and ledger of the campaign is over
    these rows, so organizations created, moved or imported later never enter it."""

    campaign = models.ForeignKey(
        Campaign,
        verbose_name="考评活动",
        on_delete=models.CASCADE,
        related_name="assessed",
        db_index=False,  # "campaign_object_once" leads with it
    )
    organization = models.ForeignKey(
        Organization, verbose_name="考评对象", on_delete=models.PROTECT, related_name="+"
    )
    enterprise = models.ForeignKey(
        Organization,
        verbose_name="开始时所属企业",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The 软弱涣散 flag as it stood then: the campaign's ledger lists it, whatever the
    # organization's flag says later.
    weak_and_lax = models.BooleanField("开始时软弱涣散", default=False)

    class Meta:
        verbose_name = "考评对象"
        verbose_name_plural = "考评对象"
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "organization"], name="campaign_object_once"
            ),
        ]
        # The campaign's enterprises, read one by one along it (``fixed_enterprise_ids``).
        indexes = [models.Index(fields=["campaign", "enterprise"], name="campaign_enterprise")]

    def __str__(self) -> str:
        return f"{self.campaign} · {self.organization}"


class StageKind(models.TextChoices):
    SELF = "self", "自查自评"
    FULL = "full", "全面考评"
    CROSS = "cross", "交叉互评"
    SPOT = "spot", "抽查点评"
    ONSITE = "onsite", "实地考核评分"
    INSTRUMENT = "instrument", "分项评分"
    SUPERVISION = "supervision", "督导检查"
    ACCEPTANCE = "acceptance", "考核验收"
    CONSOLIDATION = "consolidation", "巩固提升"
    MOBILIZATION = "mobilization", "组织发动"


class Assessor(models.TextChoices):
    BRANCH = "branch", "党支部自评（支部书记）"
    DEPARTMENT = "department", "党群部考评员"
    CROSS_GROUP = "cross_group", "其他互评组的考评员"
    INSPECTORS = "inspectors", "上级抽查组"
    NONE = "none", "不打分（汇总阶段）"


class Selection(models.TextChoices):
    ALL = "all", "全部"
    RATIO = "ratio", "按比例随机抽取（每个企业）"
    COUNT = "count", "按数量随机抽取（每个企业）"


class Stage(models.Model):
    campaign = models.ForeignKey(
        Campaign, verbose_name="考评活动", on_delete=models.CASCADE, related_name="stages"
    )
    position = models.PositiveSmallIntegerField("顺序")
    kind = models.CharField("阶段类型", max_length=20, choices=StageKind)
    name = models.CharField("名称", max_length=40)
    assessed_by = models.CharField("打分人", max_length=20, choices=Assessor)
    selection = models.CharField(
        "考评对象", max_length=10, choices=Selection, default=Selection.ALL
    )
    ratio = models.DecimalField("抽取比例", max_digits=4, decimal_places=3, null=True, blank=True)
    count = models.PositiveIntegerField("抽取数量", null=True, blank=True)
    instrument = models.CharField(
        "分项编码", max_length=20, blank=True, help_text="加权综合标准中本阶段评分的分项（如 star）"
    )
    avoid_reciprocal = models.BooleanField("避免两组互相考评", default=True)
    basis = models.CharField(
        "文件依据", max_length=300, blank=True, help_text="文件对本阶段时限和内容的规定"
    )
    opens_on = models.DateField("开始日期")
    deadline = models.DateField("截止日期")

    class Meta:
        verbose_name = "考评阶段"
        verbose_name_plural = "考评阶段"
        ordering = ["campaign", "position"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "position"], name="stage_unique_pos"),
            models.CheckConstraint(
                condition=Q(deadline__gte=models.F("opens_on")), name="stage_deadline_after_open"
            ),
            models.CheckConstraint(
                condition=~Q(selection="ratio") | Q(ratio__gt=0, ratio__lte=1),
                name="stage_ratio_in_range",
            ),
            models.CheckConstraint(
                condition=~Q(selection="count") | Q(count__gte=1), name="stage_count_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign.name} · {self.name}"

    @property
    def scored(self) -> bool:
        return self.assessed_by != Assessor.NONE

    @property
    def picks_people(self) -> bool:
        """True when assigning asks for people (a cross-review draw takes the groups')."""
        return self.assessed_by != Assessor.CROSS_GROUP

    def audit_org_path(self) -> str:
        return self.campaign.scope.path


class Draw(models.Model):
    """A recorded random sample: anyone can redraw from the seed and inputs and compare."""

    stage = models.ForeignKey(
        Stage, verbose_name="阶段", on_delete=models.CASCADE, related_name="draws"
    )
    seed = models.CharField("随机种子", max_length=64)
    inputs = models.JSONField("抽样输入")
    selected = models.JSONField("抽中的组织")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="抽样人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("抽样时间", auto_now_add=True)

    class Meta:
        verbose_name = "随机抽样记录"
        verbose_name_plural = "随机抽样记录"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.stage} · 种子 {self.seed}"


class CrossReviewPair(models.Model):
    """Group-to-group plan of a cross-review stage: ``reviewer`` group reviews ``reviewed``."""

    stage = models.ForeignKey(
        Stage, verbose_name="阶段", on_delete=models.CASCADE, related_name="pairs"
    )
    reviewer = models.ForeignKey(
        CrossReviewGroup, verbose_name="考评组", on_delete=models.PROTECT, related_name="+"
    )
    reviewed = models.ForeignKey(
        CrossReviewGroup, verbose_name="被考评组", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "互评关系"
        verbose_name_plural = "互评关系"
        constraints = [
            models.CheckConstraint(
                condition=~Q(reviewer=models.F("reviewed")), name="pair_group_never_reviews_itself"
            ),
            models.UniqueConstraint(fields=["stage", "reviewed"], name="pair_reviewed_once"),
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} → {self.reviewed}"


class SheetStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "已提交"
    RETURNED = "returned", "已退回"
    SIGNED = "signed", "已签发"


EDITABLE = (SheetStatus.DRAFT, SheetStatus.RETURNED)


def overdue_q(today: date | None = None) -> Q:
    """Still to be filled in (draft or returned) after the stage's deadline: the one
    definition of an overdue sheet, as a filter or inside an aggregate."""
    return Q(status__in=EDITABLE, stage__deadline__lt=today or timezone.localdate())


class ScoreSheetQuerySet(models.QuerySet):
    def overdue(self, today: date | None = None) -> "ScoreSheetQuerySet":
        return self.filter(overdue_q(today))

    def reviews(self) -> "ScoreSheetQuerySet":
        """Review sheets: every stage's but the branch's own self-assessment."""
        return self.exclude(stage__kind=StageKind.SELF)

    def signed_reviews(self, campaign) -> "ScoreSheetQuerySet":
        """The campaign's signed review sheets on its current rubric version: what results,
        vetoes and their overturning are read from."""
        return self.reviews().filter(
            campaign=campaign,
            status=SheetStatus.SIGNED,
            rubric_version_id=campaign.rubric_version_id,
        )

    def scored_by(self, user) -> "ScoreSheetQuerySet":
        """The review sheets a user scores: what makes them "the reviewer of this branch"
        (a secretary's self-assessment never does)."""
        return self.reviews().filter(assessor=user)

    def reviewed_pairs(self, user, prefix: str = "") -> Exists:
        """A condition on outer rows (rectification items, other sheets): their (campaign,
        organization) pair is one this user scored at a review stage; exact pairs, not "any
        campaign scored × any organization scored". ``prefix`` reaches the pair through a
        relation."""
        return Exists(
            self.scored_by(user).filter(
                campaign_id=OuterRef(f"{prefix}campaign_id"),
                organization_id=OuterRef(f"{prefix}organization_id"),
            )
        )


class ScoreSheet(models.Model):
    """One assessor's scoring of one organization in one stage."""

    stage = models.ForeignKey(
        Stage, verbose_name="阶段", on_delete=models.PROTECT, related_name="sheets"
    )
    # campaign repeats stage.campaign so per-campaign lists (progress, consolidation) use
    # the (campaign, status) index without a join; both are set together in one service.
    campaign = models.ForeignKey(
        Campaign, verbose_name="考评活动", on_delete=models.PROTECT, related_name="sheets"
    )
    rubric_version = models.ForeignKey(
        RubricVersion, verbose_name="考评标准版本", on_delete=models.PROTECT, related_name="sheets"
    )
    organization = models.ForeignKey(
        Organization, verbose_name="被考评组织", on_delete=models.PROTECT, related_name="sheets"
    )
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="打分人",
        on_delete=models.PROTECT,
        related_name="sheets",
    )
    status = models.CharField("状态", max_length=10, choices=SheetStatus, default=SheetStatus.DRAFT)
    revision = models.PositiveIntegerField(
        "修订号", default=0, help_text="每次保存加 1；用于发现并发修改"
    )
    note = models.TextField("总体意见", blank=True)
    total = models.DecimalField("得分", max_digits=7, decimal_places=3, null=True, blank=True)
    max_total = models.DecimalField("满分", max_digits=7, decimal_places=3, null=True, blank=True)
    grade = models.CharField("等次", max_length=30, blank=True)
    passed = models.BooleanField("达标", null=True)
    reasons = models.JSONField("评定理由", default=list, blank=True)
    unmet_key_items = models.JSONField("未达标▲项", default=list, blank=True)
    inflated_self = models.BooleanField("自评虚高", default=False)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    late = models.BooleanField("逾期提交", default=False)
    signed_at = models.DateTimeField("签发时间", null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="签发人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    digest = models.CharField("签发内容摘要", max_length=64, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = ScoreSheetQuerySet.as_manager()

    # Worked out once per object by assessments.selectors and kept on it: the version's
    # structure, the rules the sheet is scored by, the enterprise's 个性指标 texts, and
    # what the sheet held when read for saving (a selectors.Held).
    _structure: "Structure"
    _rules: "Rules"
    _slot_texts: dict[str, str]
    _held: Any

    class Meta:
        verbose_name = "考评表"
        verbose_name_plural = "考评表"
        ordering = ["stage__position", "organization__path"]
        constraints = [
            # The version is part of the key: during cross-review an enterprise 党委 may be
            # scored by one reviewer on the branch rubric and on the 7-measures checklist.
            models.UniqueConstraint(
                fields=["stage", "organization", "assessor", "rubric_version"],
                name="sheet_once_per_assessor_version",
            ),
            # A signed sheet is history: it carries who signed, when, and what (digest).
            models.CheckConstraint(
                condition=~Q(status=SheetStatus.SIGNED)
                | Q(signed_at__isnull=False, signed_by__isnull=False, total__isnull=False)
                & ~Q(digest=""),
                name="sheet_signed_has_signature",
            ),
        ]
        indexes = [
            models.Index(fields=["assessor", "status"]),
            models.Index(fields=["campaign", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.organization.name} · {self.stage.name}"

    @property
    def editable(self) -> bool:
        return self.status in EDITABLE

    @property
    def is_draft(self) -> bool:
        return self.status == SheetStatus.DRAFT

    @property
    def is_submitted(self) -> bool:
        return self.status == SheetStatus.SUBMITTED

    @property
    def is_signed(self) -> bool:
        return self.status == SheetStatus.SIGNED

    @property
    def is_returned(self) -> bool:
        return self.status == SheetStatus.RETURNED

    @property
    def overdue(self) -> bool:
        """The row form of ``ScoreSheetQuerySet.overdue``."""
        return self.editable and self.stage.deadline < timezone.localdate()

    def audit_org_path(self) -> str:
        return self.organization.path


class SheetEntry(models.Model):
    """A score for one item or part code (checklist levels are stored as their points)."""

    sheet = models.ForeignKey(
        ScoreSheet,
        verbose_name="考评表",
        on_delete=models.CASCADE,
        related_name="entries",
        db_index=False,  # "entry_once_per_code" leads with it
    )
    code = models.CharField("指标编码", max_length=20)
    value = models.DecimalField("得分", max_digits=7, decimal_places=3, null=True, blank=True)
    note = models.CharField("扣分说明", max_length=500, blank=True)

    class Meta:
        verbose_name = "评分"
        verbose_name_plural = "评分"
        constraints = [
            models.UniqueConstraint(fields=["sheet", "code"], name="entry_once_per_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code}={self.value}"


class VetoFindingQuerySet(models.QuerySet):
    def overturnable_stages(self, campaign) -> models.QuerySet:
        """The stages a 推翻 decision on these findings may name: only those after the
        earliest stage that found one of them (none when there is no finding)."""
        earliest = self.aggregate(first=models.Min("sheet__stage__position"))["first"]
        if earliest is None:
            return campaign.stages.none()
        return campaign.stages.filter(position__gt=earliest)


class VetoFinding(models.Model):
    sheet = models.ForeignKey(
        ScoreSheet, verbose_name="考评表", on_delete=models.CASCADE, related_name="vetoes"
    )
    code = models.CharField("否决项编码", max_length=20)
    facts = models.TextField("事实依据")

    objects = VetoFindingQuerySet.as_manager()

    class Meta:
        verbose_name = "否决项认定"
        verbose_name_plural = "否决项认定"
        constraints = [
            models.UniqueConstraint(fields=["sheet", "code"], name="veto_once_per_code"),
            models.CheckConstraint(condition=~Q(facts=""), name="veto_has_facts"),
        ]

    def __str__(self) -> str:
        return self.code


# The extension of each accepted content type (judged from the bytes, never the name).
EXTENSIONS = {
    "application/pdf": ".pdf",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
}


def named_for(name: str, content_type: str) -> str:
    """``name`` with the extension of its sniffed content type: ``evil.html`` holding a
    PDF is ``evil.pdf``."""
    stem, dot, suffix = name.rpartition(".")
    if not dot or not stem or "/" in suffix or "\\" in suffix:
        stem = name
    return stem.strip()[:190] + EXTENSIONS.get(content_type, ".bin")


def evidence_path(instance: "Evidence", filename: str) -> str:
    # A random name with the sniffed type's extension: the original name is kept in the row.
    return f"evidence/{instance.sheet.campaign_id}/{uuid.uuid4().hex}" + EXTENSIONS.get(
        instance.content_type, ""
    )


class UploadedFile(models.Model):
    """An uploaded file checked by content, stored under a random name outside static
    files and served only through views that check access. Subclasses set ``file``."""

    original_name = models.CharField("原文件名", max_length=200)
    content_type = models.CharField("类型", max_length=100)
    size = models.PositiveIntegerField("大小")
    sha256 = models.CharField("SHA-256", max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def download_name(self) -> str:
        """The name a download is saved under: always the extension of the sniffed type."""
        return named_for(self.original_name, self.content_type)


class Evidence(UploadedFile):
    sheet = models.ForeignKey(
        ScoreSheet, verbose_name="考评表", on_delete=models.CASCADE, related_name="evidence"
    )
    code = models.CharField("指标编码", max_length=20, blank=True)
    file = models.FileField("文件", upload_to=evidence_path)

    class Meta(UploadedFile.Meta):
        verbose_name = "佐证材料"
        verbose_name_plural = "佐证材料"

    def audit_org_path(self) -> str:
        return self.sheet.organization.path


class SheetEvent(models.Model):
    """Every state change of a sheet: who, when, from, to, why."""

    sheet = models.ForeignKey(
        ScoreSheet, verbose_name="考评表", on_delete=models.CASCADE, related_name="events"
    )
    at = models.DateTimeField("时间", auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", on_delete=models.PROTECT, related_name="+"
    )
    from_status = models.CharField("原状态", max_length=10, choices=SheetStatus)
    to_status = models.CharField("新状态", max_length=10, choices=SheetStatus)
    reason = models.TextField("原因", blank=True)
    digest = models.CharField("内容摘要", max_length=64, blank=True)

    class Meta:
        verbose_name = "考评表流转记录"
        verbose_name_plural = "考评表流转记录"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_from_status_display()} → {self.get_to_status_display()}"

    def audit_org_path(self) -> str:
        return self.sheet.organization.path
