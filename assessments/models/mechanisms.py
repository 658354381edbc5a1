"""Northwest Energy's working mechanisms (001 三、工作机制): pairing a 政工部门负责人 with a
branch under the 结对提升责任书, mutual inspection (互查), member responsibility posts, and
the problems they find (items of the branch's one list, ``RectificationItem``). Their
quarterly scores feed the 亮牌 board (assessments/mechanisms/selectors/board.py)."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from branches.models import Member, Organization
from rubrics.models import RubricVersion

DEFAULT_DUTIES_A = (
    "按计划每月下沉乙方支部不少于 2 次，提供“一对一”专业指导；针对乙方短板，3 个工作日内提供"
    "配套工具；每季度向监督方报告帮扶进度；对乙方合理资源需求 5 个工作日内协调解决；每周抽查"
    "乙方关键指标进展，对未按计划推进的任务 24 小时内与乙方书记沟通；不干预乙方正常党建工作。"
)
DEFAULT_DUTIES_B = (
    "严格落实各项举措，明确支部委员分工；每月向甲方报告支部标准化进展情况；每季度开展 1 次"
    "“标准化知识小测试”；甲方下沉指导时提前准备资料；对甲方整改建议 7 个工作日内制定整改方案"
    "并落地；责任期内形成的标准化经验及时梳理报甲方。"
)


class PairingStatus(models.TextChoices):
    DRAFT = "draft", "待签订"
    ACTIVE = "active", "帮扶中"
    EXTENDED = "extended", "延长责任期"
    PASSED = "passed", "帮扶合格"
    FAILED = "failed", "延期后仍未达标"


class Pairing(models.Model):
    """A 结对: one helper (甲方) and one branch (乙方), supervised by the department (监督方);
    its fields are those of the 结对提升责任书."""

    organization = models.ForeignKey(
        Organization, verbose_name="乙方党支部", on_delete=models.PROTECT, related_name="pairings"
    )
    supervisor = models.ForeignKey(
        Organization,
        verbose_name="监督方",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="组织帮扶的党委（由其党群部监督）",
    )
    helper_name = models.CharField("甲方（帮扶方）负责人", max_length=50)
    helper_post = models.CharField("职务", max_length=50)
    helper = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="甲方系统账号",
        on_delete=models.PROTECT,
        related_name="pairings_helped",
    )
    start = models.DateField("责任期开始")
    end = models.DateField("责任期结束")
    targets = models.TextField("量化目标", help_text="如台账齐全率、群众服务响应时限等，每行一项")
    method_goal = models.CharField(
        "经验做法目标",
        max_length=200,
        default="形成可复制的标准化工作方法，至少 1 项做法被纳入公司《党支部标准化经验手册》",
    )
    awareness_goal = models.PositiveSmallIntegerField("党员知晓率目标（%）", default=100)
    satisfaction_goal = models.PositiveSmallIntegerField("党员满意度目标（%）", default=85)
    duties_a = models.TextField("甲方权责", default=DEFAULT_DUTIES_A)
    duties_b = models.TextField("乙方权责", default=DEFAULT_DUTIES_B)
    visits_per_month = models.PositiveSmallIntegerField("每月下沉次数（不少于）", default=2)
    status = models.CharField(
        "状态", max_length=20, choices=PairingStatus, default=PairingStatus.DRAFT
    )
    signed_a_at = models.DateTimeField("甲方签字时间", null=True, blank=True)
    signed_b_at = models.DateTimeField("乙方签字时间", null=True, blank=True)
    signed_by_b = models.CharField("乙方签字人", max_length=50, blank=True)
    signed_s_at = models.DateTimeField("监督方签字时间", null=True, blank=True)
    acceptance_note = models.TextField("期末验收意见", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="创建人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "结对提升"
        verbose_name_plural = "结对提升"
        ordering = ["-start", "organization__path"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")),
                name="pairing_end_after_start",
                violation_error_message="责任期结束日期应晚于开始日期。",
            ),
            models.CheckConstraint(
                condition=Q(satisfaction_goal__lte=100) & Q(awareness_goal__lte=100),
                name="pairing_goals_percent",
                violation_error_message="知晓率、满意度目标应在 0 至 100 之间。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.helper_name} — {self.organization.name}"

    def audit_org_path(self) -> str:
        return self.organization.path

    @property
    def signed(self) -> bool:
        return bool(self.signed_a_at and self.signed_b_at and self.signed_s_at)


class PairingEvent(models.Model):
    """Every state change of a pairing: who, when, from, to, why."""

    pairing = models.ForeignKey(Pairing, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField("时间", auto_now_add=True)
    action = models.CharField("操作", max_length=30)
    from_status = models.CharField("原状态", max_length=20, blank=True)
    to_status = models.CharField("新状态", max_length=20, blank=True)
    note = models.TextField("说明", blank=True)

    class Meta:
        verbose_name = "结对记录"
        verbose_name_plural = "结对记录"
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.pairing} · {self.action}"


class Diagnosis(models.Model):
    """The helper's 支部标准化诊断报告: how it was found and the 1–2 core weaknesses."""

    pairing = models.ForeignKey(Pairing, on_delete=models.CASCADE, related_name="diagnoses")
    methods = models.CharField("诊断方式", max_length=100, default="看资料、访党员、问群众")
    findings = models.TextField("诊断情况")
    core_weakness_1 = models.CharField("核心短板一", max_length=200)
    core_weakness_2 = models.CharField("核心短板二", max_length=200, blank=True)
    written_on = models.DateField("报告日期")
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="填报人", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "支部标准化诊断报告"
        verbose_name_plural = "支部标准化诊断报告"
        ordering = ["-written_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.pairing} · 诊断报告"

    def audit_org_path(self) -> str:
        return self.pairing.organization.path


class PlanKind(models.TextChoices):
    PLAN = "plan", "个性化提升方案"
    REPLAN = "replan", "重新制定的帮扶方案"
    URGENT = "urgent", "加急整改方案"


class Plan(models.Model):
    """A 个性化提升方案 (or a re-made one after a score below 60, or the 加急整改方案 of an
    extended period); its actions are items of the branch's list."""

    pairing = models.ForeignKey(Pairing, on_delete=models.CASCADE, related_name="plans")
    number = models.PositiveSmallIntegerField("方案序号")
    kind = models.CharField("方案类型", max_length=20, choices=PlanKind, default=PlanKind.PLAN)
    reason = models.CharField("制定原因", max_length=200, blank=True)
    # The quarterly evaluation whose lowest band made the pair re-make its plan.
    evaluation = models.ForeignKey(
        "Evaluation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replans",
        verbose_name="引发重新制定的季度评估",
    )
    created_at = models.DateTimeField("制定时间", auto_now_add=True)

    class Meta:
        verbose_name = "帮扶方案"
        verbose_name_plural = "帮扶方案"
        ordering = ["pairing", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["pairing", "number"],
                name="plan_unique_number",
                violation_error_message="方案序号重复。",
            )
        ]

    def __str__(self) -> str:
        return f"第 {self.number} 版{self.get_kind_display()}"

    def audit_org_path(self) -> str:
        return self.pairing.organization.path


class Visit(models.Model):
    """One entry of the helper's 帮扶台账: a visit to the branch."""

    pairing = models.ForeignKey(Pairing, on_delete=models.CASCADE, related_name="visits")
    on = models.DateField("下沉日期")
    form = models.CharField("方式", max_length=50, default="一对一指导")
    content = models.TextField("帮扶内容")
    progress = models.TextField("整改进展与存在问题", blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="记录人", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "帮扶台账"
        verbose_name_plural = "帮扶台账"
        ordering = ["-on", "-pk"]

    def __str__(self) -> str:
        return f"{self.pairing} · {self.on:%Y-%m-%d} 下沉"

    def audit_org_path(self) -> str:
        return self.pairing.organization.path


class MonthlyReport(models.Model):
    """The branch's monthly report to the helper (乙方每月报告标准化进展)."""

    pairing = models.ForeignKey(Pairing, on_delete=models.CASCADE, related_name="reports")
    year = models.PositiveSmallIntegerField("年度")
    month = models.PositiveSmallIntegerField("月份")
    progress = models.TextField("本月进展")
    problems = models.TextField("存在问题", blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="报告人", on_delete=models.PROTECT, related_name="+"
    )
    reported_at = models.DateTimeField("报告时间", auto_now_add=True)

    class Meta:
        verbose_name = "月度进展报告"
        verbose_name_plural = "月度进展报告"
        ordering = ["-year", "-month"]
        constraints = [
            models.UniqueConstraint(
                fields=["pairing", "year", "month"],
                name="report_once_a_month",
                violation_error_message="该月已报告过进展。",
            ),
            models.CheckConstraint(
                condition=Q(month__gte=1, month__lte=12),
                name="report_month_1_12",
                violation_error_message="月份应为 1 至 12。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pairing} · {self.year}年{self.month}月进展"

    def audit_org_path(self) -> str:
        return self.pairing.organization.path


class Evaluation(models.Model):
    """The department's quarterly 帮扶成效 score against the agreement (0–100)."""

    pairing = models.ForeignKey(Pairing, on_delete=models.PROTECT, related_name="evaluations")
    year = models.PositiveSmallIntegerField("年度")
    quarter = models.PositiveSmallIntegerField("季度")
    score = models.DecimalField("帮扶成效得分", max_digits=5, decimal_places=2)
    band = models.CharField("评定", max_length=30)
    note = models.TextField("评估意见", blank=True)
    evaluated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="评估人", on_delete=models.PROTECT, related_name="+"
    )
    evaluated_at = models.DateTimeField("评估时间", auto_now_add=True)

    class Meta:
        verbose_name = "帮扶成效评估"
        verbose_name_plural = "帮扶成效评估"
        ordering = ["-year", "-quarter"]
        constraints = [
            models.UniqueConstraint(
                fields=["pairing", "year", "quarter"],
                name="evaluation_once_a_quarter",
                violation_error_message="该季度已评估过。",
            ),
            models.CheckConstraint(
                condition=Q(score__gte=0, score__lte=100),
                name="evaluation_score_0_100",
                violation_error_message="帮扶成效得分应为 0 至 100。",
            ),
            models.CheckConstraint(
                condition=Q(quarter__gte=1, quarter__lte=4),
                name="evaluation_quarter_1_4",
                violation_error_message="季度应为 1 至 4。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pairing} · {self.year}年第{self.quarter}季度 {self.score}"

    def audit_org_path(self) -> str:
        return self.pairing.organization.path


class Interview(models.Model):
    """A 约谈 of a branch's secretary (a pairing not 达标; two 争先牌 quarters)."""

    organization = models.ForeignKey(
        Organization, verbose_name="党支部", on_delete=models.PROTECT, related_name="interviews"
    )
    secretary_name = models.CharField("约谈对象（支部书记）", max_length=50)
    reason = models.CharField("约谈原因", max_length=200)
    evaluation = models.ForeignKey(
        Evaluation,
        verbose_name="帮扶成效评估",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="interviews",
    )
    held_on = models.DateField("约谈日期", null=True, blank=True)
    record = models.TextField("约谈记录", blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "约谈"
        verbose_name_plural = "约谈"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"约谈{self.secretary_name}（{self.organization.name}）"

    def audit_org_path(self) -> str:
        return self.organization.path


class InspectionStatus(models.TextChoices):
    SCHEDULED = "scheduled", "待检查"
    SUBMITTED = "submitted", "已提交评分表"
    FOLLOWED_UP = "followed_up", "已回头看"


STEPS = (
    ("step_report", "听汇报"),
    ("step_documents", "查资料"),
    ("step_site", "看现场"),
    ("step_members", "访党员"),
)


class Inspection(models.Model):
    """One 互查: a branch inspected by 1–2 members of other branches against a version of
    the 互查量化清单 (a rubric), with the 互查评分表 they fill on site."""

    organization = models.ForeignKey(
        Organization,
        verbose_name="被检查党支部",
        on_delete=models.PROTECT,
        related_name="inspections",
    )
    version = models.ForeignKey(
        RubricVersion, verbose_name="互查量化清单", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度")
    quarter = models.PositiveSmallIntegerField("季度")
    scheduled_on = models.DateField("检查日期（与星级考核同步）")
    inspectors = models.ManyToManyField(Member, verbose_name="互查人员", related_name="inspections")
    # The inspectors' logins as they were when assigned: the rights to fill the 互查评分表
    # and verify its problems belong to these accounts, so that relinking a roster member
    # to another login later moves nothing.
    inspector_accounts = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name="互查人员账号（安排时确定）",
        related_name="inspections_assigned",
        blank=True,
    )
    status = models.CharField(
        "状态", max_length=20, choices=InspectionStatus, default=InspectionStatus.SCHEDULED
    )
    step_report = models.TextField("听汇报", blank=True)
    step_documents = models.TextField("查资料", blank=True)
    step_site = models.TextField("看现场", blank=True)
    step_members = models.TextField("访党员", blank=True)
    strengths = models.TextField("优点", blank=True)
    problems = models.TextField("问题", blank=True)
    suggestions = models.TextField("整改建议", blank=True)
    highlights = models.TextField("亮点做法（供经验手册）", blank=True)
    deadline = models.DateField("整改时限", null=True, blank=True)
    scores = models.JSONField("各项得分", default=dict, blank=True)
    total = models.DecimalField("互查得分", max_digits=6, decimal_places=2, null=True, blank=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    followed_up_at = models.DateTimeField("回头看时间", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="安排人", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "互查"
        verbose_name_plural = "互查"
        ordering = ["-year", "-quarter", "organization__path"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quarter__gte=1, quarter__lte=4),
                name="inspection_quarter_1_4",
                violation_error_message="季度应为 1 至 4。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}年第{self.quarter}季度互查 · {self.organization.name}"

    def audit_org_path(self) -> str:
        return self.organization.path


class PostKind(models.TextChoices):
    BASIC = "basic", "基础岗"
    CHALLENGE = "challenge", "攻坚岗"
    SERVICE = "service", "服务岗"


class Post(models.Model):
    """One post of a branch's 党员岗位责任清单 for a quarter."""

    organization = models.ForeignKey(
        Organization, verbose_name="党支部", on_delete=models.PROTECT, related_name="member_posts"
    )
    year = models.PositiveSmallIntegerField("年度")
    quarter = models.PositiveSmallIntegerField("季度")
    kind = models.CharField("岗位类别", max_length=20, choices=PostKind)
    title = models.CharField("岗位名称", max_length=100)
    duty = models.TextField("标准化责任")
    published_at = models.DateTimeField("公布时间", null=True, blank=True)

    class Meta:
        verbose_name = "党员岗位"
        verbose_name_plural = "党员岗位责任清单"
        ordering = ["organization__path", "-year", "-quarter", "kind", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quarter__gte=1, quarter__lte=4),
                name="post_quarter_1_4",
                violation_error_message="季度应为 1 至 4。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.title}"

    def audit_org_path(self) -> str:
        return self.organization.path


class ClaimStatus(models.TextChoices):
    PENDING = "pending", "待支委会审核"
    APPROVED = "approved", "已审核公示"
    REJECTED = "rejected", "未通过"


class Claim(models.Model):
    """A member's 党员责任认领表 entry: one post claimed, reviewed by the 支委会."""

    post = models.ForeignKey(
        Post, verbose_name="岗位", on_delete=models.PROTECT, related_name="claims"
    )
    member = models.ForeignKey(
        Member, verbose_name="党员", on_delete=models.PROTECT, related_name="claims"
    )
    status = models.CharField(
        "状态", max_length=20, choices=ClaimStatus, default=ClaimStatus.PENDING
    )
    review_note = models.CharField("审核意见", max_length=200, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审核人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    claimed_at = models.DateTimeField("认领时间", auto_now_add=True)

    class Meta:
        verbose_name = "岗位认领"
        verbose_name_plural = "岗位认领"
        ordering = ["post", "member__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["post", "member"],
                name="claim_once_per_post",
                violation_error_message="该党员已认领此岗位。",
            )
        ]

    def __str__(self) -> str:
        return f"{self.member.name} · {self.post}"

    def audit_org_path(self) -> str:
        return self.post.organization.path


class CheckKind(models.TextChoices):
    WEEKLY = "weekly", "每周抽查（基础岗）"
    MONTHLY = "monthly", "每月核查（攻坚岗/服务岗）"


class DutyCheck(models.Model):
    """One check of the 党员履职台账 by a 支部委员 (分片跟踪)."""

    claim = models.ForeignKey(
        Claim, verbose_name="认领", on_delete=models.PROTECT, related_name="checks"
    )
    kind = models.CharField("核查类型", max_length=20, choices=CheckKind)
    on = models.DateField("核查日期")
    met = models.BooleanField("履职到位", default=True)
    note = models.CharField("核查情况", max_length=200, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="核查人", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "履职核查"
        verbose_name_plural = "党员履职台账"
        ordering = ["-on", "-pk"]

    def __str__(self) -> str:
        return f"{self.claim} · {self.on:%Y-%m-%d}"

    def audit_org_path(self) -> str:
        return self.claim.post.organization.path


class DutyScore(models.Model):
    """A member's monthly 履职 score (0–100) and its band."""

    member = models.ForeignKey(
        Member, verbose_name="党员", on_delete=models.PROTECT, related_name="duty_scores"
    )
    year = models.PositiveSmallIntegerField("年度")
    month = models.PositiveSmallIntegerField("月份")
    score = models.DecimalField("履职得分", max_digits=5, decimal_places=2)
    band = models.CharField("评定", max_length=30)
    note = models.CharField("说明", max_length=200, blank=True)
    scored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="评分人", on_delete=models.PROTECT, related_name="+"
    )
    scored_at = models.DateTimeField("评分时间", auto_now=True)

    class Meta:
        verbose_name = "党员履职评分"
        verbose_name_plural = "党员履职评分"
        ordering = ["-year", "-month", "member__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "year", "month"],
                name="duty_score_once_a_month",
                violation_error_message="该党员本月已评分。",
            ),
            models.CheckConstraint(
                condition=Q(score__gte=0, score__lte=100),
                name="duty_score_0_100",
                violation_error_message="履职得分应为 0 至 100。",
            ),
            models.CheckConstraint(
                condition=Q(month__gte=1, month__lte=12),
                name="duty_score_month_1_12",
                violation_error_message="月份应为 1 至 12。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member.name} · {self.year}年{self.month}月 {self.score}"

    def audit_org_path(self) -> str:
        return self.member.organization.path


class PlaqueExtension(models.Model):
    """A 争先 period extended because the branch has not rectified in time (“未整改到位的，
    延长‘争先’期限”): the plate stands until ``until`` (the end of a later quarter)."""

    result = models.ForeignKey(
        "BranchResult",
        verbose_name="亮牌结果",
        on_delete=models.PROTECT,
        related_name="extensions",
    )
    organization = models.ForeignKey(
        Organization, verbose_name="党支部", on_delete=models.PROTECT, related_name="+"
    )
    until = models.DateField("争先期限延长至")
    reason = models.CharField("未整改到位的情况", max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="决定人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("决定时间", auto_now_add=True)

    class Meta:
        verbose_name = "延长争先期限"
        verbose_name_plural = "延长争先期限"
        ordering = ["-until", "-pk"]
        constraints = [
            # Each extension goes further than the one before it.
            models.UniqueConstraint(
                fields=["result", "until"],
                name="extension_once_per_end",
                violation_error_message="争先期限已延长至该日期。",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization.name} · 争先期限延长至 {self.until:%Y-%m-%d}"

    def audit_org_path(self) -> str:
        return self.organization.path


# Recorded in the audit trail (assessments/apps.py); events are rows of their own.
MECHANISM_MODELS = [
    Pairing,
    Diagnosis,
    Plan,
    Visit,
    MonthlyReport,
    Evaluation,
    Interview,
    Inspection,
    Post,
    Claim,
    DutyCheck,
    DutyScore,
    PlaqueExtension,
]
