"""The roster as a spreadsheet (the same columns the import reads) and its template."""

from ..models import Member, Organization, User
from ..toolkit.exports import Export
from .importer import HEADERS

GUIDE = [
    ("姓名", "必填；本支部在册党员中已有该姓名的行将更新该党员，同名者请在姓名后加注以区分"),
    ("党员类别", "必填：正式党员 / 预备党员"),
    ("党小组", "所在党小组名称"),
    ("入党日期", "日期，如 2015-07-01（预备党员填接收日期）"),
    ("手机", "可留空"),
    ("工号", "该党员有系统账号时填写其工号，可留空"),
    ("离开日期", "调离、转出时填写；填写后不再计入党员人数"),
    ("备注", "可留空"),
    ("说明", "文件中没有的党员保持不变；党支部有党员名册后，正式、预备党员数按名册自动统计"),
]


def member_row(m: Member) -> list:
    return [
        m.name,
        m.get_status_display(),
        m.party_group,
        m.joined_on,
        m.phone,
        m.user.username if m.user else "",
        m.left_on,
        m.note,
    ]


class MemberExport(Export):
    identifier = "members"
    verbose_name = "党员名册"
    widths = {"姓名": 14, "党小组": 20, "入党日期": 12, "离开日期": 12, "备注": 30}

    def __init__(self, *, by: User, org: Organization):
        super().__init__(by=by)
        self.org = org
        self.verbose_name = f"{org.name}党员名册"

    def headers(self):
        return HEADERS

    def rows(self):
        members = Member.objects.filter(organization=self.org).select_related("user")
        for m in members.order_by("left_on", "party_group", "name", "pk"):
            yield member_row(m)


class MemberTemplate(Export):
    identifier = "members-template"
    verbose_name = "党员名册导入模板"

    def headers(self):
        return HEADERS

    def rows(self):
        return [
            ["张三", "正式党员", "第一党小组", "2010-07-01", "13800000000", "", "", ""],
            ["李四", "预备党员", "第一党小组", "2025-06-20", "", "", "", ""],
        ]

    def extra_sheets(self):
        return [("填写说明", ["列", "说明"], GUIDE)]
