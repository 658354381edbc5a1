"""Spreadsheet exports of the organization tree and of people with their roles."""

from django.utils import timezone

from .access import people_scope_q, visible_orgs
from .models import (
    MIN_BRANCH_FULL_MEMBERS,
    AuditEntry,
    Category,
    Membership,
    OrgKind,
    Role,
    User,
    term_rule,
)
from .resources import MembershipResource, OrganizationResource
from .toolkit.exports import Export


def _resource_rows(resource, queryset) -> tuple[list[str], list[list]]:
    dataset = resource.export(queryset=queryset)
    return list(dataset.headers), [list(row) for row in dataset]


ORG_GUIDE = [
    ("编码", "必填，全系统唯一；已有编码的行将更新该组织"),
    ("名称", "必填"),
    ("类型", "必填：" + "、".join(OrgKind.labels)),
    ("上级编码", "党支部可直接隶属党委；党小组隶属党支部；顶层党委留空"),
    ("联合党支部", f"是 / 否（联合党支部可少于 {MIN_BRANCH_FULL_MEMBERS} 名正式党员）"),
    ("成立日期、任期开始、任期届满", f"日期，如 2024-03-01；{term_rule()}"),
    ("正式党员数、预备党员数", "不小于 0 的整数"),
    ("类别", "、".join(Category.labels) + "（留空为一般）"),
    ("软弱涣散", "是 / 否"),
    ("星级", "0–5"),
    ("书记、委员", "姓名；多名委员以顿号“、”分隔"),
]

PEOPLE_GUIDE = [
    ("工号", "必填，登录用户名；已有工号的行将更新姓名、邮箱、手机"),
    ("姓名", "必填"),
    ("组织编码", "授予角色的组织（角色覆盖该组织及其全部下级）"),
    ("角色", "、".join(Role.labels) + "；与组织编码同时留空则只建账号"),
    ("说明", "一人多个角色写多行；新账号没有密码，由系统管理员设置初始密码后才能登录"),
]


class OrganizationExport(Export):
    identifier = "organizations"
    verbose_name = "组织架构"
    widths = {"名称": 30, "上级编码": 12, "委员": 40}

    def _data(self):
        if not hasattr(self, "_cached"):
            queryset = visible_orgs(self.by).select_related("parent").order_by("tree_key")
            self._cached = _resource_rows(OrganizationResource(by=self.by), queryset)
        return self._cached

    def headers(self):
        return self._data()[0]

    def rows(self):
        return self._data()[1]


class OrganizationTemplate(OrganizationExport):
    identifier = "organizations-template"
    verbose_name = "组织架构导入模板"

    def rows(self):
        return [
            [
                "DW01",
                "某某公司党委",
                "党委",
                "",
                "否",
                "2010-07-01",
                "2023-06-01",
                "2028-05-31",
                0,
                0,
                "一般",
                "否",
                0,
                "张三",
                "",
            ],
            [
                "ZB0101",
                "生产一党支部",
                "党支部",
                "DW01",
                "否",
                "2012-03-15",
                "2024-03-01",
                "2027-02-28",
                25,
                2,
                "先进",
                "否",
                4,
                "李四",
                "王五、赵六",
            ],
        ]

    def extra_sheets(self):
        return [("填写说明", ["列", "说明"], ORG_GUIDE)]


class PeopleExport(Export):
    identifier = "people"
    verbose_name = "人员与角色"
    widths = {"组织名称": 30, "邮箱": 28}

    def _queryset(self):
        return Membership.objects.filter(people_scope_q(self.by, "organization__path"))

    def headers(self):
        return [f.column_name for f in MembershipResource(by=self.by).get_export_fields()]

    def rows(self):
        resource = MembershipResource(by=self.by)
        queryset = (
            self._queryset()
            .select_related("user", "organization")
            .order_by("user__username", "organization__tree_key", "role")
        )
        _, rows = _resource_rows(resource, queryset)
        loners = User.objects.filter(memberships__isnull=True, is_superuser=False).order_by(
            "username"
        )
        rows += [[u.username, u.name, u.email, u.phone, "", "", ""] for u in loners]
        return rows


class PeopleTemplate(PeopleExport):
    identifier = "people-template"
    verbose_name = "人员与角色导入模板"

    def rows(self):
        return [
            ["100234", "李四", "lisi@example.com", "13800000000", "ZB0101", "", "支部书记"],
            ["100301", "王考评", "", "", "DW01", "", "考评员"],
        ]

    def extra_sheets(self):
        return [("填写说明", ["列", "说明"], PEOPLE_GUIDE)]


def changes_text(entry: AuditEntry) -> str:
    """The entry's changes, one "label：old → new" line each (AuditEntry.change_lines)."""
    return "\n".join(
        f"{label}：" + " → ".join(side for side in (old, new) if side is not None)
        for label, old, new in entry.change_lines()
    )


class AuditExport(Export):
    """The audit trail as the auditor filtered it (read-only: every cell a value)."""

    identifier = "audit"
    verbose_name = "审计记录"
    widths = {"时间": 20, "操作人": 20, "对象": 30, "变更（原 → 新）": 60, "IP 地址": 16}

    def __init__(self, *, by: User, filters: dict):
        super().__init__(by=by)
        self.filters = filters

    def queryset(self):
        from .selectors import audit_entries

        return audit_entries(self.by, **self.filters)

    def headers(self):
        return [
            "时间",
            "操作人",
            "来源",
            "IP 地址",
            "操作",
            "对象类型",
            "对象编号",
            "对象",
            "变更（原 → 新）",
        ]

    def rows(self):
        for entry in self.queryset().iterator(chunk_size=2000):
            yield [
                timezone.localtime(entry.at).strftime("%Y-%m-%d %H:%M:%S"),
                entry.actor_repr,
                entry.source_label,
                entry.ip or "",
                entry.get_action_display(),
                entry.model,
                entry.object_id,
                entry.object_repr,
                changes_text(entry),
            ]


class TermReminderExport(Export):
    """换届提醒: the organizations whose term ends within the warning window or has ended."""

    identifier = "term_reminders"
    verbose_name = "换届提醒"
    widths = {"组织": 36, "状态": 16}

    def __init__(self, *, by: User, organizations):
        super().__init__(by=by)
        self.organizations = organizations

    def headers(self):
        return ["组织", "编码", "类型", "任期届满", "状态"]

    def rows(self):
        for org in self.organizations.select_related("parent").iterator(chunk_size=1000):
            kind = org.get_kind_display()
            yield [org.qualified_name, org.code, kind, org.term_end, org.term_state]


class GroupExport(Export):
    """交叉互评组: each group, who organizes it and its member enterprises."""

    identifier = "cross_review_groups"
    verbose_name = "交叉互评组"
    widths = {"组名": 24, "组织单位": 30, "成员企业": 60}

    def __init__(self, *, by: User, groups):
        super().__init__(by=by)
        self.groups = groups

    def headers(self):
        return ["组名", "组织单位", "成员企业", "企业数"]

    def rows(self):
        for g in self.groups:
            members = [m.enterprise.name for m in g.members.all()]
            yield [g.name, g.owner.name, "、".join(members), len(members)]
