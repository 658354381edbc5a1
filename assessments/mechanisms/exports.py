"""Every mechanisms list as a spreadsheet (branches.toolkit.exports.Export)."""

from decimal import Decimal

from django.db.models import Q, QuerySet
from django.utils import timezone

from branches import access as branch_access
from branches.access import Perm
from branches.models import Organization, User
from branches.toolkit.exports import Export

from ..models import Interview, Pairing
from . import access
from .selectors import points_ledger


def _date(value):
    return value if value else ""


def _local(value):
    return timezone.localtime(value).replace(tzinfo=None) if value else ""


def visible_interviews(user: User) -> QuerySet[Interview]:
    return Interview.objects.filter(
        branch_access.scope_q(user, Perm.VIEW_RESULTS, "organization__path")
        | access.secretary_q(user)
        | Q(evaluation__pairing__helper=user)
    ).select_related("organization", "evaluation__pairing")


class PairingExport(Export):
    identifier = "pairings"
    verbose_name = "结对提升"
    widths = {"乙方党支部": 24, "量化目标": 40}

    def headers(self):
        return [
            "乙方党支部",
            "甲方",
            "职务",
            "责任期开始",
            "责任期结束",
            "状态",
            "量化目标",
            "最近季度评估",
        ]

    def rows(self):
        pairings = access.visible_pairings(self.by).prefetch_related("evaluations")
        for p in pairings.order_by("organization__tree_key", "-start"):
            latest = p.evaluations.all()[:1]
            last = (
                f"{latest[0].year}Q{latest[0].quarter} {latest[0].score} {latest[0].band}"
                if latest
                else ""
            )
            yield [
                p.organization.name,
                p.helper_name,
                p.helper_post,
                p.start,
                p.end,
                p.get_status_display(),
                p.targets,
                last,
            ]


class PairingLedgerExport(Export):
    """The pair's 帮扶台账: visits, monthly reports and quarterly scores."""

    identifier = "pairing-ledger"
    verbose_name = "帮扶台账"
    widths = {"帮扶内容": 40, "整改进展与存在问题": 40}

    def __init__(self, *, by: User, pairing: Pairing):
        super().__init__(by=by)
        self.pairing = pairing
        self.verbose_name = f"帮扶台账-{pairing.organization.name}"

    def headers(self):
        return ["下沉日期", "方式", "帮扶内容", "整改进展与存在问题", "记录人"]

    def rows(self):
        for v in self.pairing.visits.select_related("recorded_by").order_by("on", "pk"):
            yield [v.on, v.form, v.content, v.progress, str(v.recorded_by)]

    def extra_sheets(self):
        reports = [
            [r.year, r.month, r.progress, r.problems, str(r.reported_by)]
            for r in self.pairing.reports.select_related("reported_by").order_by("year", "month")
        ]
        scores = [
            [e.year, e.quarter, e.score, e.band, e.note]
            for e in self.pairing.evaluations.order_by("year", "quarter")
        ]
        return [
            ("月度进展报告", ["年度", "月份", "本月进展", "存在问题", "报告人"], reports),
            ("季度帮扶成效", ["年度", "季度", "得分", "评定", "评估意见"], scores),
        ]


class InterviewExport(Export):
    identifier = "interviews"
    verbose_name = "约谈记录"
    widths = {"约谈原因": 40, "约谈记录": 40, "党支部": 24}

    def headers(self):
        return ["党支部", "约谈对象", "约谈原因", "约谈日期", "约谈记录", "登记时间"]

    def rows(self):
        for i in visible_interviews(self.by).order_by("-created_at"):
            yield [
                i.organization.name,
                i.secretary_name,
                i.reason,
                _date(i.held_on),
                i.record,
                _local(i.created_at),
            ]


class InspectionExport(Export):
    identifier = "inspections"
    verbose_name = "互查"
    widths = {
        "被检查党支部": 24,
        "互查人员": 30,
        "优点": 30,
        "问题": 30,
        "整改建议": 30,
        "亮点做法": 30,
    }

    def headers(self):
        return [
            "年度",
            "季度",
            "被检查党支部",
            "互查人员",
            "检查日期",
            "状态",
            "互查得分",
            "优点",
            "问题",
            "整改建议",
            "整改时限",
            "亮点做法",
        ]

    def rows(self):
        qs = access.visible_inspections(self.by).prefetch_related("inspectors__organization")
        for i in qs.order_by("-year", "-quarter", "organization__tree_key"):
            names = "、".join(f"{m.name}（{m.organization.name}）" for m in i.inspectors.all())
            yield [
                i.year,
                i.quarter,
                i.organization.name,
                names,
                i.scheduled_on,
                i.get_status_display(),
                i.total if i.total is not None else "",
                i.strengths,
                i.problems,
                i.suggestions,
                _date(i.deadline),
                i.highlights,
            ]


def handbook_pdf(user: User, *, year: int, quarter: int) -> bytes:
    """The 标准化经验手册 of a quarter: each inspected branch's 亮点做法 and 优点."""
    from ..pdf import render_pdf

    entries = (
        access.visible_inspections(user)
        .filter(year=year, quarter=quarter, submitted_at__isnull=False)
        .order_by("-total", "organization__tree_key")
    )
    return render_pdf(
        "reports/handbook.html", {"entries": entries, "year": year, "quarter": quarter}
    )


class PostExport(Export):
    identifier = "posts"
    verbose_name = "党员岗位责任清单"
    widths = {"岗位名称": 24, "标准化责任": 40, "认领党员": 30}

    def __init__(self, *, by: User, org: Organization, year: int, quarter: int):
        super().__init__(by=by)
        self.org, self.year, self.quarter = org, year, quarter
        self.verbose_name = f"岗位责任清单-{org.name}-{year}Q{quarter}"

    def headers(self):
        return ["岗位类别", "岗位名称", "标准化责任", "公布时间", "认领党员（审核状态）"]

    def rows(self):
        from ..models import Post

        posts = Post.objects.filter(organization=self.org, year=self.year, quarter=self.quarter)
        for p in posts.prefetch_related("claims__member").order_by("kind", "pk"):
            claims = "、".join(
                f"{c.member.name}（{c.get_status_display()}）" for c in p.claims.all()
            )
            yield [p.get_kind_display(), p.title, p.duty, _local(p.published_at), claims]


class DutyLedgerExport(Export):
    """The 党员履职台账: the month's scores (公示栏) and every check on record."""

    identifier = "duty-ledger"
    verbose_name = "党员履职台账"
    widths = {"核查情况": 30, "岗位": 24}

    def __init__(self, *, by: User, org: Organization, year: int, month: int):
        super().__init__(by=by)
        self.org, self.year, self.month = org, year, month
        self.verbose_name = f"党员履职台账-{org.name}-{year}年{month}月"

    def headers(self):
        return ["姓名", "党小组", "党员类别", "履职得分", "评定", "说明"]

    def rows(self):
        from branches.models import Member

        from ..models import DutyScore

        scores = {
            s.member_id: s
            for s in DutyScore.objects.filter(
                member__organization=self.org, year=self.year, month=self.month
            )
        }
        for m in (
            Member.objects.filter(organization=self.org).active().order_by("party_group", "name")
        ):
            s = scores.get(m.pk)
            yield [
                m.name,
                m.party_group,
                m.get_status_display(),
                s.score if s else "",
                s.band if s else "未评分",
                s.note if s else "",
            ]

    def extra_sheets(self):
        from ..models import DutyCheck

        checks = DutyCheck.objects.filter(claim__post__organization=self.org).select_related(
            "claim__member", "claim__post", "checked_by"
        )
        rows = [
            [
                c.on,
                c.claim.member.name,
                str(c.claim.post),
                c.get_kind_display(),
                "到位" if c.met else "不到位",
                c.note,
                str(c.checked_by),
            ]
            for c in checks.order_by("on", "pk")
        ]
        return [
            (
                "履职核查记录",
                ["核查日期", "党员", "岗位", "核查类型", "履职情况", "核查情况", "核查人"],
                rows,
            )
        ]


class BoardExport(Export):
    identifier = "plaque-board"
    verbose_name = "季度亮牌"
    widths = {"党支部": 24, "结果运用": 50}

    def __init__(self, *, by: User, year: int, quarter: int):
        super().__init__(by=by)
        self.year, self.quarter = year, quarter
        self.verbose_name = f"亮牌-{year}年第{quarter}季度"

    def _data(self):
        from .selectors.board import board

        if not hasattr(self, "_cached"):
            self._cached = board(self.by, year=self.year, quarter=self.quarter)
        return self._cached

    def headers(self):
        inputs, _ = self._data()
        return [
            "党支部",
            *[f"{i.text}（{i.weight * 100:.0f}%）" for i in inputs],
            "综合得分",
            "牌级",
            "上季度",
            "结果运用",
            "状态",
            "争先期限延长至",
        ]

    def rows(self):
        inputs, plates = self._data()
        for p in plates:
            yield [
                p.org.name,
                *[p.values[i.code][0] if i.code in p.values else "" for i in inputs],
                p.total if p.total is not None else "",
                p.grade or ("尚未汇总" if p.pending else "—"),
                p.previous,
                "；".join(p.consequences),
                "需重新汇总" if p.stale else ("" if p.grade else "尚未汇总"),
                p.extension.until if p.extension else "",
            ]


class PointsLedgerExport(Export):
    """The branch's 党员积分台账 for a year: each member's monthly 积分 from the 履职 scores
    and the year's total (the page's rows)."""

    identifier = "points-ledger"
    verbose_name = "党员积分台账"

    def __init__(self, *, by: User, org: Organization, year: int, per_point: Decimal | None):
        super().__init__(by=by)
        self.org, self.year, self.per_point = org, year, per_point
        self.verbose_name = f"党员积分台账-{org.name}-{year}年"

    def headers(self):
        return ["姓名", "党小组", *(f"{m}月" for m in range(1, 13)), "年度积分", "已评月数"]

    def rows(self):
        if self.per_point is None:  # the rubric states no 积分 rule: an empty ledger
            return
        for row in points_ledger(self.org, year=self.year, per_point=self.per_point):
            yield [
                row.member.name,
                row.member.party_group,
                *(v if v is not None else "" for v in row.months),
                row.total,
                row.scored,
            ]


def agreement_pdf(pairing: Pairing) -> bytes:
    """The 结对提升责任书 as a PDF laid out like the attachment of 001, with signature lines."""
    from ..pdf import render_pdf

    targets = [t.strip() for t in pairing.targets.splitlines() if t.strip()]
    return render_pdf(
        "reports/pairing_agreement.html",
        {"p": pairing, "targets": targets, "supervisor": f"{pairing.supervisor.name}党群部"},
    )
