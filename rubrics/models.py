"""Rubrics (考评标准) and their versions. A published version is history: frozen."""

from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from branches.models import Organization, OrgKind

from .scoring import ordered_levels


class RubricFrozen(ValidationError):
    """A change to a published or retired version was attempted."""


class Method(models.TextChoices):
    POINTS = "points", "计分制"
    CHECKLIST = "checklist", "逐项评定（达标 / 基本达标 / 未达标）"
    COMPOSITE = "composite", "加权综合"


class VersionStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    PUBLISHED = "published", "已发布"
    RETIRED = "retired", "已停用"


class IndicatorKind(models.TextChoices):
    SCORED = "scored", "计分指标"
    VETO = "veto", "反向（否决）指标"
    CHECKLIST = "checklist", "逐项评定"
    COMPOSITE_INPUT = "composite_input", "综合评定分项"
    CUSTOM = "custom", "个性指标（各单位自定）"


class Rubric(models.Model):
    code = models.SlugField("编码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=120)
    issuer = models.CharField("制定单位", max_length=120)
    source_document = models.CharField("依据文件", max_length=200)
    source_file = models.CharField("原文文件", max_length=100, blank=True)
    assesses = models.JSONField("考评对象", default=list, help_text="组织类型列表")
    period = models.CharField("考评周期", max_length=20, blank=True)
    description = models.TextField("说明", blank=True)

    class Meta:
        verbose_name = "考评标准"
        verbose_name_plural = "考评标准"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def assesses_labels(self) -> list[str]:
        return [OrgKind(k).label for k in self.assesses]


class FrozenGuardQuerySet(models.QuerySet):
    """Refuses bulk writes that would touch a published or retired version."""

    version_path: str | None = "version"

    def _frozen(self) -> bool:
        path = f"{self.version_path}__status" if self.version_path else "status"
        return self.filter(~Q(**{path: VersionStatus.DRAFT})).exists()

    def update(self, **kwargs):
        if self.version_path is None:
            back_to_draft = kwargs.get("status") == VersionStatus.DRAFT
            if (set(kwargs) - PUBLICATION_FIELDS or back_to_draft) and self._frozen():
                raise RubricFrozen("已发布的考评标准版本不能修改，请复制为新版本后再改。")
        elif self._frozen():
            raise RubricFrozen("已发布的考评标准版本不能修改，请复制为新版本后再改。")
        return super().update(**kwargs)

    def delete(self):
        if self._frozen():
            raise RubricFrozen("已发布的考评标准版本不能删除。")
        return super().delete()

    def bulk_update(self, objs, fields, batch_size=None):
        pks = [o.pk for o in objs]
        if self.model._default_manager.filter(pk__in=pks)._frozen():
            raise RubricFrozen("已发布的考评标准版本不能修改，请复制为新版本后再改。")
        return super().bulk_update(objs, fields, batch_size=batch_size)

    def bulk_create(self, objs, *args, **kwargs):
        for obj in objs:
            obj.check_editable()
        return super().bulk_create(objs, *args, **kwargs)


class VersionQuerySet(FrozenGuardQuerySet):
    version_path = None


class PartQuerySet(FrozenGuardQuerySet):
    version_path = "indicator__version"


# The only fields of a published version that may still change: retiring it.
PUBLICATION_FIELDS = {"status", "published_at", "published_by", "bands_assumed"}


class RubricVersion(models.Model):
    rubric = models.ForeignKey(
        Rubric, verbose_name="考评标准", on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField("版本号")
    status = models.CharField(
        "状态", max_length=20, choices=VersionStatus, default=VersionStatus.DRAFT
    )
    method = models.CharField("计分方式", max_length=20, choices=Method)
    bands_assumed = models.BooleanField(
        "等次分数线为系统假设",
        default=False,
        help_text="依据文件未规定分数线（如西宁的达标线），系统默认值须在发布时由组织确认",
    )
    key_items_cap_top = models.BooleanField("▲项未达标不得评为最高档", default=False)
    level_points = models.JSONField(
        "逐项评定分值",
        default=dict,
        blank=True,
        help_text='如 {"达标": 1, "基本达标": 0.5, "未达标": 0}（占该项分值的比例）',
    )
    notes = models.TextField("版本说明", blank=True)
    # The source document's use of results, read by assessments.services.consequences_for:
    # {"basis": "文件依据", "rules": [{"code", "grade", "previous"?, "text", "effect"?,
    #  "points"?}], "reratings"?: [{"from", "to"}]}; see fixtures/rubrics/fuling-2017.json.
    # "effect" names the status a rule records (lagging, interview, no_awards, bonus with
    # its "points"): assessments.services.consequences acts on it.
    consequence_rules = models.JSONField(
        "考评结果运用规则",
        default=dict,
        blank=True,
        help_text="依据文件规定的结果运用：等次（及上期等次）对应的处理措施、依据原文和允许的改评",
    )
    # Items scored from the branch's meeting records (三会一课…), read by
    # assessments.meetings: [{"code": item or part code, "meeting": a kind of
    # branches.meeting_kinds, "period"?: month|quarter|year, "times"?: n}]; an item may name
    # several. See fixtures/rubrics/fuling-2017.json.
    record_requirements = models.JSONField(
        "依据组织生活记录计分",
        default=list,
        blank=True,
        help_text="指标（或分项）所衡量的会议要求：会议类型、频次；考评表据此按会议记录给出建议得分",
    )
    copied_from = models.ForeignKey(
        "self",
        verbose_name="复制自",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="发布人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = VersionQuerySet.as_manager()

    class Meta:
        verbose_name = "考评标准版本"
        verbose_name_plural = "考评标准版本"
        ordering = ["rubric__code", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["rubric", "number"], name="version_unique_number"),
            # Published and retired versions carry their publication record.
            models.CheckConstraint(
                condition=Q(status="draft") | Q(published_at__isnull=False),
                name="version_published_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rubric.name} 第 {self.number} 版（{self.get_status_display()}）"

    def save(self, *args, **kwargs):
        # Only the publication fields of a frozen version may change (publish, retire).
        update_fields = kwargs.get("update_fields")
        if self.pk and (
            update_fields is None
            or set(update_fields) - PUBLICATION_FIELDS
            or self.status == VersionStatus.DRAFT
        ):
            self.check_editable()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self.check_editable()
        return super().delete(*args, **kwargs)

    @property
    def is_draft(self) -> bool:
        return self.status == VersionStatus.DRAFT

    @property
    def levels(self):
        return ordered_levels(self.level_points)

    def check_editable(self) -> None:
        if self.pk:
            stored = RubricVersion.objects.filter(pk=self.pk).values_list("status", flat=True)
            if stored and stored[0] != VersionStatus.DRAFT:
                raise RubricFrozen("已发布的考评标准版本不能修改，请复制为新版本后再改。")


class VersionChild(models.Model):
    """Rows that belong to a version and are frozen with it."""

    objects = FrozenGuardQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.check_editable()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self.check_editable()
        return super().delete(*args, **kwargs)

    def _version(self) -> RubricVersion:
        raise NotImplementedError

    def check_editable(self) -> None:
        version = self._version()
        stored = RubricVersion.objects.filter(pk=version.pk).values_list("status", flat=True)
        if stored and stored[0] != VersionStatus.DRAFT:
            raise RubricFrozen("已发布的考评标准版本不能修改，请复制为新版本后再改。")


class Section(VersionChild):
    version = models.ForeignKey(
        RubricVersion, verbose_name="版本", on_delete=models.CASCADE, related_name="sections"
    )
    code = models.CharField("编码", max_length=20)
    title = models.CharField("名称", max_length=200)
    points = models.DecimalField("分值", max_digits=6, decimal_places=2, null=True, blank=True)
    slogan = models.CharField("提升效果", max_length=200, blank=True)
    position = models.PositiveIntegerField("顺序", default=0)

    class Meta:
        verbose_name = "考评部分"
        verbose_name_plural = "考评部分"
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="section_unique_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def _version(self):
        return self.version


class Indicator(VersionChild):
    version = models.ForeignKey(
        RubricVersion, verbose_name="版本", on_delete=models.CASCADE, related_name="indicators"
    )
    section = models.ForeignKey(
        Section, verbose_name="所属部分", on_delete=models.CASCADE, related_name="indicators"
    )
    code = models.CharField("编码", max_length=20)
    text = models.TextField("指标内容")
    points = models.DecimalField("分值", max_digits=6, decimal_places=2, default=Decimal(0))
    step = models.DecimalField("评分步长", max_digits=4, decimal_places=2, default=Decimal("0.5"))
    is_key = models.BooleanField("▲重点项", default=False)
    kind = models.CharField(
        "类型", max_length=20, choices=IndicatorKind, default=IndicatorKind.SCORED
    )
    weight = models.DecimalField(
        "权重",
        max_digits=4,
        decimal_places=3,
        null=True,
        blank=True,
        help_text="加权综合的分项，如 0.4 表示 40%",
    )
    guidance = models.TextField("执行标准 / 佐证要求", blank=True)
    is_template = models.BooleanField("模板文字（待本单位修改）", default=False)
    period_activity = models.CharField(
        "每期须开展",
        max_length=40,
        blank=True,
        help_text="分项按期间设置时，每期须有的工作（如“宣传展示”），写入未达标理由",
    )
    position = models.PositiveIntegerField("顺序", default=0)

    class Meta:
        verbose_name = "考评指标"
        verbose_name_plural = "考评指标"
        ordering = ["version", "section__position", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="indicator_unique_code"),
            models.CheckConstraint(condition=Q(points__gte=0), name="indicator_points_nonneg"),
            models.CheckConstraint(condition=Q(step__gt=0), name="indicator_step_positive"),
            # A veto item carries no points: it decides the tier, not the total.
            models.CheckConstraint(
                condition=~Q(kind="veto") | Q(points=0), name="indicator_veto_no_points"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.text[:30]}"

    def _version(self):
        return self.version

    @property
    def is_veto(self) -> bool:
        return self.kind == IndicatorKind.VETO


class IndicatorPart(VersionChild):
    indicator = models.ForeignKey(
        Indicator, verbose_name="指标", on_delete=models.CASCADE, related_name="parts"
    )
    code = models.CharField("编码", max_length=20)
    text = models.CharField("分项内容", max_length=300)
    points = models.DecimalField("分值", max_digits=6, decimal_places=2)
    step = models.DecimalField("评分步长", max_digits=4, decimal_places=2, default=Decimal("0.5"))
    period = models.CharField(
        "所属期间",
        max_length=20,
        blank=True,
        help_text="如“第三季度”：每期都须达到本分项的分值，缺一期该指标即未达标",
    )
    position = models.PositiveIntegerField("顺序", default=0)

    objects: ClassVar[models.Manager["IndicatorPart"]] = PartQuerySet.as_manager()

    class Meta:
        verbose_name = "指标分项"
        verbose_name_plural = "指标分项"
        ordering = ["indicator", "position"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "code"], name="part_unique_code"),
            models.CheckConstraint(condition=Q(points__gt=0), name="part_points_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.text[:30]}"

    def _version(self):
        return self.indicator.version


class GradeBand(VersionChild):
    """One tier of a scale, top first; the lower bound is inclusive."""

    version = models.ForeignKey(
        RubricVersion, verbose_name="版本", on_delete=models.CASCADE, related_name="bands"
    )
    scale = models.CharField(
        "量表",
        max_length=30,
        blank=True,
        help_text="留空为考评等次；其他为辅助量表，如 pairing（帮扶成效）",
    )
    scale_name = models.CharField("量表名称", max_length=60, blank=True)
    label = models.CharField("等次", max_length=30)
    minimum = models.DecimalField(
        "下限（含）",
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="最低一档留空",
    )
    passed = models.BooleanField("视为达标", default=True)
    position = models.PositiveIntegerField("顺序", default=0)

    class Meta:
        verbose_name = "等次"
        verbose_name_plural = "等次"
        ordering = ["version", "scale", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "scale", "label"], name="band_unique"),
        ]

    def __str__(self) -> str:
        return self.label

    def _version(self):
        return self.version


class CustomSlotText(models.Model):
    """An enterprise's own text for a custom slot (Xining's 5 个性指标)."""

    indicator = models.ForeignKey(
        Indicator,
        verbose_name="个性指标",
        on_delete=models.PROTECT,
        related_name="slot_texts",
        limit_choices_to={"kind": IndicatorKind.CUSTOM},
    )
    enterprise = models.ForeignKey(
        Organization, verbose_name="企业党委", on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField("指标内容")
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="填写人", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "个性指标内容"
        verbose_name_plural = "个性指标内容"
        constraints = [
            models.UniqueConstraint(fields=["indicator", "enterprise"], name="slot_text_once"),
            models.CheckConstraint(condition=~Q(text=""), name="slot_text_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.indicator.code}"

    def audit_org_path(self) -> str:
        return self.enterprise.path
