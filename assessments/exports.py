"""Spreadsheet exports of results, ledgers and rectification lists (values, never formulas)."""

from collections.abc import Iterator

from django.utils import timezone

from branches.toolkit.exports import Export
from rubrics.selectors import rules_for, version_tree

from . import selectors
from .committee import committee_measures


class ResultsExport(Export):
    identifier = "results"
    widths = {
        "组织": 28,
        "所属党委": 20,
        "等次说明": 36,
        "结果来源": 36,
        "否决项": 12,
        "后果": 40,
        "党委": 22,
        "未达标措施": 60,
    }

    def __init__(self, *, by, campaign, **filters):
        super().__init__(by=by)
        self.campaign, self.filters = campaign, filters
        self.verbose_name = f"{campaign.name}-考评结果台账"[:60]

    def headers(self):
        return [
            "排名",
            "编码",
            "组织",
            "所属党委",
            "得分",
            "满分",
            "等次",
            "是否达标",
            "否决项",
            "未达标▲项",
            "自评虚高",
            "等次说明",
            "结果来源",
            "后果",
            "得分率（%）",
        ]

    def rows(self):
        results = selectors.results_ledger(self.campaign, **self.filters).prefetch_related(
            "consequences"
        )
        # Read in chunks (each with its consequences): memory stays flat with the branches.
        for r in results.iterator(chunk_size=2000):
            yield [
                r.rank,
                r.organization.code,
                r.organization.name,
                r.enterprise_name or "",
                r.total,
                r.max_total,
                r.grade,
                "" if r.passed is None else ("是" if r.passed else "否"),
                "、".join(r.vetoes),
                "、".join(r.unmet_key_items),
                "是" if r.inflated_self else "否",
                r.grade_reason,
                r.source_note,
                "；".join(c.text for c in r.consequences.all()),
                r.rate,
            ]

    def extra_sheets(self):
        return [*self._enterprise_sheet(), *self._committee_sheet()]

    def _enterprise_sheet(self):
        """The campaign's figures over all its objects (as the results page and the PDF
        show them): the measures its method reports, overall and by enterprise."""
        summary = selectors.campaign_summary(self.campaign)
        unit = "（项）" if summary["compliance"] is not None else "（个）"
        headers = [
            "企业",
            "考评对象（个）",
            "已出结果（个）",
            *(f"{d['grade']}{unit}" for d in summary["distribution"]),
            *(f"{m.label}（%）" for m in summary["measures"]),
        ]

        def rate(m):
            return "" if m.rate is None else m.rate

        total = [
            "合计",
            summary["in_scope"],
            summary["results"],
            *(d["n"] for d in summary["distribution"]),
            *(rate(m) for m in summary["measures"]),
        ]
        rows = [
            [
                row["organization__enterprise__name"] or "—",
                row["scope"],
                row["n"],
                *(n for _, n in row["counts"]),
                *(rate(m) for m in row["measures"]),
            ]
            for row in summary["by_enterprise"]
        ]
        return [("各企业统计", headers, [total, *rows])]

    def _committee_sheet(self):
        """The enterprise 党委s' signed 7-measures checklists, on a sheet of their own."""
        if self.campaign.committee_version_id is None:
            return []
        rows = (
            [
                c.sheet.organization.code,
                c.sheet.organization.name,
                c.sheet.stage.name,
                c.sheet.assessor.name or c.sheet.assessor.username,
                c.total,
                c.max_total,
                c.rate,
                *[n for _, n in c.levels],
                c.unmet_text,
                c.sheet.signed_at.date() if c.sheet.signed_at else "",
            ]
            for c in committee_measures(self.campaign).results
        )
        labels = [f"{label}（项）" for label, _ in self._levels()]
        headers = [
            "编码",
            "党委",
            "阶段",
            "评估人",
            "得分",
            "满分",
            "达标率（%）",
            *labels,
            "未达标措施",
            "签发日期",
        ]
        return [("党委7条具体措施", headers, rows)]

    def _levels(self):
        return rules_for(version_tree(self.campaign.committee_version_id)).levels


class RectificationExport(Export):
    """The one list (一支部一清单): every source's items, each naming where it came from."""

    identifier = "rectifications"
    verbose_name = "整改清单"
    widths = {"组织": 24, "来源": 20, "问题": 50, "整改措施": 40, "回头看": 30}

    def __init__(self, *, by, queryset):
        super().__init__(by=by)
        self.queryset = queryset

    def headers(self):
        return [
            "组织",
            "来源",
            "考评活动",
            "编号",
            "类型",
            "问题",
            "整改措施",
            "责任人",
            "整改时限",
            "状态",
            "是否逾期",
            "销号人",
            "销号时间",
            "回头看",
        ]

    def rows(self):
        items = self.queryset.select_related("organization__parent", "campaign", "closed_by")
        for i in selectors.with_stages(items):
            yield [
                i.organization.qualified_name,
                i.source_label,
                i.campaign.name if i.campaign else "",
                i.code,
                "" if i.pairing_id else i.get_kind_display(),
                i.problem,
                i.measure,
                i.responsible,
                i.deadline,
                i.get_status_display(),
                "是" if i.overdue else "否",
                str(i.closed_by) if i.closed_by else "",
                i.closed_at or "",
                i.follow_up,
            ]


class ProgressExport(Export):
    identifier = "progress"
    widths = {"被考评组织": 26, "阶段": 14, "打分人": 14}

    def __init__(self, *, by, campaign, queryset):
        super().__init__(by=by)
        self.queryset = queryset
        self.verbose_name = f"{campaign.name}-进度"[:60]

    def headers(self):
        return [
            "阶段",
            "被考评组织",
            "打分人",
            "状态",
            "得分",
            "等次",
            "截止日期",
            "提交时间",
            "逾期提交",
            "自评虚高",
        ]

    def rows(self):
        for s in self.queryset:
            yield [
                s.stage.name,
                s.organization.name,
                s.assessor.name or s.assessor.username,
                s.get_status_display(),
                s.total if s.total is not None else "",
                s.grade,
                s.stage.deadline,
                s.submitted_at or "",
                "是" if s.late else "否",
                "是" if s.inflated_self else "否",
            ]


class ConsequenceExport(Export):
    identifier = "consequences"
    widths = {"组织": 24, "后果": 40, "依据": 50, "落实情况": 40}

    def __init__(self, *, by, campaign, queryset):
        super().__init__(by=by)
        self.queryset = queryset
        self.verbose_name = f"{campaign.name}-结果运用"[:60]

    def headers(self):
        return ["组织", "等次", "后果", "依据", "状态", "落实情况", "登记人", "登记时间"]

    def rows(self):
        for c in self.queryset:
            yield [
                c.result.organization.qualified_name,
                c.result.grade,
                c.text,
                c.basis,
                c.get_status_display(),
                c.action,
                str(c.done_by) if c.done_by else "",
                c.done_at or "",
            ]


class MeasuresTemplate(Export):
    """A branch's open rectification items, for its secretary to fill the measures in
    Excel and upload them back (事项编号 ties each row to its item)."""

    identifier = "measures"
    verbose_name = "整改措施填写表"
    widths = {"问题": 50, "整改措施": 50, "责任人": 12}
    HEADERS = ["事项编号", "指标", "问题", "整改措施", "责任人", "整改时限"]

    def __init__(self, *, by, items):
        super().__init__(by=by)
        self.items = items

    def headers(self):
        return self.HEADERS

    def rows(self):
        for i in self.items:
            yield [i.pk, i.code, i.problem, i.measure, i.responsible, i.deadline]


class AssignmentTemplate(Export):
    """A stage's unassigned organizations, for the department to write each one's reviewer
    (工号) and upload it back; the second sheet lists the reviewers."""

    identifier = "assignment"
    verbose_name = "考评员分配表"
    widths = {"组织": 30, "考评员工号": 14}
    HEADERS = ["组织编码", "组织", "考评员工号"]

    def __init__(self, *, by, orgs, reviewers):
        super().__init__(by=by)
        self.orgs, self.reviewers = orgs, reviewers

    def headers(self):
        return self.HEADERS

    def rows(self):
        for org in self.orgs:
            yield [org.code, org.name, ""]

    def extra_sheets(self):
        return [("考评员", ["工号", "姓名"], [[u.username, u.name] for u in self.reviewers])]


class LedgerExport(Export):
    """One branch's ledger as 003 keeps it: 问题清单, 责任清单 and 整改清单, one sheet each."""

    identifier = "ledger"
    widths = {"问题": 50, "整改措施": 40, "来源": 12, "责任人": 12}

    def __init__(self, *, by, org, items):
        super().__init__(by=by)
        self.items = items
        self.org = org
        self.verbose_name = "问题清单"

    def render(self):
        filename, content_type, content = super().render()
        return (
            f"{self.org.name}-三个清单-{filename.removeprefix('问题清单-')}",
            content_type,
            content,
        )

    def headers(self):
        return ["编号", "来源", "问题", "发现日期", "考评活动", "状态"]

    def rows(self):
        for i in self.items:
            yield [
                i.code,
                i.source_label,
                i.problem,
                i.found_on or (i.created_at.date() if i.created_at else ""),
                i.campaign.name if i.campaign else "",
                i.get_status_display(),
            ]

    def extra_sheets(self):
        duty = (
            [i.code, i.problem, i.responsible, str(i.created_by) if i.created_by else ""]
            for i in self.items
        )
        fix = (
            [
                i.code,
                i.problem,
                i.measure,
                i.responsible,
                i.deadline,
                i.get_status_display(),
                "是" if i.overdue else "否",
                str(i.closed_by) if i.closed_by else "",
                i.closed_at or "",
            ]
            for i in self.items
        )
        return [
            ("责任清单", ["编号", "问题", "责任人", "登记人"], duty),
            (
                "整改清单",
                [
                    "编号",
                    "问题",
                    "整改措施",
                    "责任人",
                    "整改时限",
                    "状态",
                    "是否逾期",
                    "销号人",
                    "销号时间",
                ],
                fix,
            ),
        ]


class ScreeningExport(Export):
    """过筛子: every branch of the listing (its filters kept) beside the year's screening."""

    identifier = "screenings"
    widths = {"党支部": 36, "理由": 50}

    def __init__(self, *, by, year: int, branches):
        super().__init__(by=by)
        self.year, self.branches = year, branches
        self.verbose_name = f"{year}年度过筛子"

    def headers(self):
        return ["党支部", "编码", "本年度评定", "理由", "评定人", "评定时间", "当前类别"]

    def rows(self) -> Iterator[list]:
        batch: list = []
        for org in self.branches.iterator(chunk_size=1000):
            batch.append(org)
            if len(batch) == 1000:
                yield from self._rows(batch)
                batch = []
        yield from self._rows(batch)

    def _rows(self, branches):
        for org, s in selectors.screening_rows(branches, self.year):
            yield [
                org.qualified_name,
                org.code,
                s.get_category_display() if s else "尚未评定",
                s.reason if s else "",
                str(s.by) if s else "",
                timezone.localtime(s.at).replace(tzinfo=None) if s else "",
                org.get_category_display(),
            ]


class CampaignListExport(Export):
    """考评活动: every campaign the person may see."""

    identifier = "campaigns"
    verbose_name = "考评活动"
    widths = {"名称": 36, "考评标准": 36, "范围": 30}

    def __init__(self, *, by, campaigns):
        super().__init__(by=by)
        self.campaigns = campaigns

    def headers(self):
        return ["名称", "期间", "考评标准", "范围", "状态"]

    def rows(self):
        for c in self.campaigns.select_related("rubric_version__rubric", "scope"):
            version = c.rubric_version
            yield [
                c.name,
                c.period_label,
                f"{version.rubric.name}（第 {version.number} 版）",
                c.scope.name,
                c.get_status_display(),
            ]
