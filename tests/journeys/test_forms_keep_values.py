"""Every form of more than one field keeps what was typed when it is refused: the person
posts it from the page that shows it, with one field missing or wrong, and the page that
comes back says what is wrong and shows every other value as typed (text, dates, numbers,
the chosen option, the ticked boxes). From the demo, as the role that uses each form.

Covered elsewhere: the rubric's own forms (``tests/rubrics/test_authoring.py``,
``test_own_rubric.py``: the rubric, an item, its grade bands), the 互查评分表
(``test_mechanisms_inspection.py``) and the score sheet, which saves as one types
(``tests/assessments/test_workflow.py``). Passwords are never sent back, by design; a
file is chosen again."""

import re
from dataclasses import dataclass, field

import pytest

from .pages import Page, login, open_page, submit
from .problem_flow import ask_to_close, close


@dataclass(frozen=True)
class Opt:
    """A select option or a checkbox, by (part of) its label."""

    label: str


@dataclass(frozen=True)
class Case:
    user: str
    url: str  # the page, or a pattern of a link on ``start`` leading to it
    button: str
    data: dict  # what is typed; one value is missing or wrong
    error: str  # what the page says back
    start: str = ""
    action: str = ""  # which form, where several share a button
    blank: tuple[str, ...] = field(default=())  # typed empty on purpose (not compared)


def demo_url(url: str) -> str:
    """A page's address with the demo's objects named, not numbered ({org:NH-MK},
    {campaign:2025年度}, {pairing:<branch code>}, {user:dq01}, {stage:自查}): primary keys
    differ between databases (PostgreSQL's sequences are not reset between tests)."""
    from assessments.models import BranchResult, Campaign, Pairing, Stage
    from branches.models import Organization, User

    finders = {
        "org": lambda key: Organization.objects.get(code=key),
        "campaign": lambda key: Campaign.objects.get(name__startswith=key),
        "pairing": lambda key: Pairing.objects.get(organization__code=key),
        "user": lambda key: User.objects.get(username=key),
        "stage": lambda key: Stage.objects.get(campaign__name__startswith="2026年度", name=key),
        # The campaign's first-ranked result.
        "result": lambda key: BranchResult.objects.get(campaign__name__startswith=key, position=1),
    }
    return re.sub(r"\{(\w+):([^}]+)\}", lambda m: str(finders[m[1]](m[2]).pk), url)


CASES = {
    "campaign": Case(
        "dq01",
        "/campaigns/new/",
        "创建",
        {
            "name": "",
            "version": Opt("涪陵"),
            "scope": Opt("华西能源集团党委"),
            "year": "2027",
            "start": "2027-01-04",
            "threshold": "7.5",
        },
        "字段是必填项",  # Django says 这个…, DRF (installed, earlier) 该…
        blank=("name",),
    ),
    "organization": Case(
        "dq01",
        "/orgs/new/",
        "保存",
        {
            "code": "",
            "name": "新建测试党支部",
            "kind": Opt("党支部"),
            "established_on": "2020-05-01",
            "full_members": "12",
            "probationary_members": "2",
            "secretary_name": "张三",
            "committee_members": "李四、王五",
        },
        "必填",
        blank=("code",),
    ),
    "cross_review_group": Case(
        "dq01",
        "/groups/new/",
        "保存",
        {"name": "", "enterprises": [Opt("华西特钢"), Opt("华西物流")]},
        "必填",
        blank=("name",),
    ),
    "section": Case(
        "dq01",
        "/rubrics/xining-2021/v1/sections/new/",
        "保存",
        {"code": "九", "title": "", "points": "10", "slogan": "支部建在连上"},
        "必填",
        blank=("title",),
    ),
    "pairing": Case(
        "dq01",
        "/mechanisms/pairings/new/",
        "保存",
        {
            "organization": "",
            "helper_name": "王帮扶",
            "helper_post": "党委副书记",
            "start": "2027-01-01",
            "end": "2027-12-31",
            "targets": "规范三会一课；建好活动阵地",
            "visits_per_month": "3",
        },
        "必填",
        blank=("organization",),
    ),
    "inspection": Case(
        "dq01",
        "/mechanisms/inspections/new/",
        "安排",
        {
            "organization": Opt("化工分厂党支部"),
            "year": "2027",
            "quarter": "1",
            "scheduled_on": "",
            "inspectors": [Opt("喻林")],
        },
        "必填",
        blank=("scheduled_on",),
    ),
    "problem": Case(
        "sj01",
        "/orgs/{org:GT-LG-01}/ledger/",
        "登记问题",
        {
            "problem": "",
            "responsible": "赵六",
            "measure": "建立三会一课台账，每月核对",
            "deadline": "2027-03-31",
            "found_on": "2026-12-01",
        },
        "必填",
        blank=("problem",),
    ),
    "screening": Case(
        "dq01",
        "/orgs/{org:GT-LG-01}/ledger/",
        "登记评定",
        {"year": "2026", "category": "", "reason": "组织生活正常，无明显问题"},
        "必填",
        blank=("category",),
    ),
    "rerate": Case(
        "dq01",
        "/results/{result:2025年度}/rerate/",
        "登记改评",
        {"to_grade": "不合格", "reason": ""},
        "请选择改评等次并写明决定理由",
        blank=("reason",),
    ),
    "overturn": Case(
        "dq01",
        "/campaigns/{campaign:2025年度}/results/",
        "登记",
        {"organization": "", "code": "X9", "reason": "复核认定事实不成立"},
        "请填写",
        action="/overturn/",
        blank=("organization",),
    ),
    "diagnosis": Case(
        "bf01",
        "/mechanisms/pairings/{pairing:NH-DC}/",
        "保存诊断报告",
        {
            "methods": "看资料、访党员",
            "findings": "",
            "core_weakness_1": "会议记录不规范",
            "core_weakness_2": "党员教育不经常",
            "written_on": "2026-12-01",
        },
        "必填",
        blank=("findings",),
    ),
    "plan_item": Case(
        "bf01",
        "/mechanisms/pairings/{pairing:NH-DC}/",
        "加入当前方案",
        {"problem": "每月检查会议记录", "responsible": "李书记", "deadline": "下个月"},
        "日期",
    ),
    "visit": Case(
        "bf01",
        "/mechanisms/pairings/{pairing:NH-DC}/",
        "记入台账",
        {"on": "", "form": "一对一指导", "content": "指导支委会议程", "progress": "会议记录已补齐"},
        "必填",
        blank=("on",),
    ),
    "monthly_report": Case(
        "sj21",
        "/mechanisms/pairings/{pairing:NH-DC}/",
        "提交报告",
        {"year": "2026", "month": "13", "progress": "完成台账整理", "problems": "人手紧张"},
        "12",
    ),
    "evaluation": Case(
        "dq01",
        "/mechanisms/pairings/{pairing:NH-DC}/",
        "保存评估",
        {"year": "", "quarter": "4", "score": "88.5", "note": "成效明显"},
        "必填",
        blank=("year",),
    ),
    "post": Case(
        "sj21",
        "/mechanisms/branches/{org:NH-DC}/posts/",
        "加入岗位",
        {"year": "2026", "quarter": "4", "kind": "basic", "title": "", "duty": "负责党费收缴"},
        "岗位",
        blank=("title",),
    ),
    "claim_check": Case(
        "sj21",
        "/mechanisms/branches/{org:NH-DC}/posts/",
        "记入台账",
        {"on": "", "met": "0", "note": "本月未按期收缴党费"},
        "必填",
        blank=("on",),
    ),
    "duty_score": Case(
        "sj21",
        "/mechanisms/branches/{org:NH-DC}/duty/",
        "保存评分",
        {"member": Opt(""), "year": "2026", "month": "12", "score": "abc", "note": "履职认真"},
        "数",
    ),
    "person": Case(
        "xt01",
        "/people/new/",
        "保存",
        {"username": "", "name": "新同事", "email": "new@example.com", "phone": "13800000001"},
        "必填",
        blank=("username",),
    ),
    "person_edit": Case(
        "xt01",
        "/people/{user:dq01}/",
        "保存",
        {"name": "王立新", "email": "不是邮箱", "phone": "13800000009"},
        "邮",
    ),
    "grant_role": Case(
        "aq01",
        "/people/{user:dq01}/",
        "授予",
        {"organization": "", "role": "leader"},
        "请选择组织和角色",
        blank=("organization",),
    ),
    "acceptance": Case(
        "dq01",
        "/mechanisms/pairings/{pairing:NH-DC}/",
        "提交验收",
        {"met": "0", "note": ""},
        "必填",
        blank=("note",),
    ),
    "member": Case(
        "sj02",
        "/orgs/{org:NH-MK}/members/new/",
        "保存",
        {
            "name": "",
            "status": Opt("正式党员"),
            "party_group": "第一党小组",
            "joined_on": "2015-07-01",
            "phone": "13900000002",
            "note": "转入党员",
        },
        "必填",
        blank=("name",),
    ),
    "meeting": Case(
        "sj02",
        "/orgs/{org:NH-MK}/meetings/new/",
        "保存",
        {
            "kind": Opt("支委会"),
            "planned_on": "2026-12-20",
            "held_on": "不是日期",
            "place": "党员活动室",
            "topic": "学习贯彻全会精神",
            "host": "书记",
            "minutes": "一、传达学习；二、讨论",
        },
        "日期",
    ),
}


def _resolve(page: Page, form, data: dict) -> dict:
    """The values to post: an ``Opt`` becomes the value of its option or checkbox."""
    resolved = {}
    for name, value in data.items():
        if isinstance(value, Opt):
            options = form.selects.get(name, [])
            if value.label == "":  # the first real option
                resolved[name] = next(v for v, _ in options if v)
            else:
                resolved[name] = page.option(form, name, value.label)
        elif isinstance(value, list):
            resolved[name] = [page.option(form, name, v.label) for v in value]
        else:
            resolved[name] = value
    return resolved


def _form(page: Page, case: Case):
    return page.form(action=case.action, button=case.button)


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_refused_form_keeps_every_typed_value(client, name):
    case = CASES[name]
    login(client, case.user)
    page = open_page(client, demo_url(case.url))
    form = _form(page, case)
    data = _resolve(page, form, case.data)
    for box in form.checkboxes:  # only the boxes the case ticks
        form.checkboxes[box] = [(v, i, False) for v, i, _ in form.checkboxes[box]]
    refused = submit(client, form, data)
    assert case.error in refused, refused.text[:1500]
    kept = refused.form(action=form.action, button=case.button)
    for key, value in data.items():
        if key in case.blank:
            continue
        if isinstance(value, list):
            ticked = [v for v, _, on in kept.checkboxes.get(key, []) if on]
            assert sorted(ticked) == sorted(value), (name, key, ticked)
        else:
            assert kept.fields.get(key) == value, (name, key, kept.fields.get(key), value)


def test_login_keeps_the_name(client):
    page = open_page(client, "/accounts/login/")
    refused = submit(client, page.form(button="登录"), {"username": "sj01", "password": "x"})
    assert "登录" in refused
    assert refused.form(button="登录").fields["username"] == "sj01"
    assert refused.form(button="登录").fields.get("password", "") == ""  # never sent back


def test_audit_filter_keeps_the_filters(client):
    login(client, "sh01")
    page = open_page(client, "/audit/?start=2026-13-01&actor=xt01&q=登录")
    form = next(f for f in page.forms if "actor" in f.fields)
    assert (form.fields["start"], form.fields["actor"], form.fields["q"]) == (
        "2026-13-01",
        "xt01",
        "登录",
    )


def test_rectification_measure_keeps_the_measure(client):
    login(client, "sj01")
    items = open_page(client, "/rectifications/?status=open")
    item = open_page(client, items.links_to(r"^/rectifications/\d+/$")[0][0])
    form = item.form(button="保存整改措施")
    typed = {"measure": "逐月核对会议记录并由支委签字", "responsible": ""}
    refused = submit(client, form, typed)
    assert "请填写整改措施和责任人" in refused
    kept = refused.form(button="保存整改措施")
    assert kept.fields["measure"] == typed["measure"]


def test_meeting_edit_keeps_the_record(client):
    login(client, "sj02")
    new = open_page(client, demo_url("/orgs/{org:NH-MK}/meetings/new/"))
    form = new.form(button="保存")
    typed = {
        "kind": new.option(form, "kind", "支委会"),
        "planned_on": "2026-12-01",
        "held_on": "2026-12-01",
        "place": "党员活动室",
        "topic": "学习贯彻全会精神",
        "host": "书记",
        "minutes": "一、传达学习；二、讨论",
    }
    saved = submit(client, form, typed)
    assert "已登记" in saved, saved.text[:800]
    edit = saved.form(button="保存")
    changed = {**typed, "held_on": "不是日期", "topic": "改后的议题", "minutes": "改后的纪要"}
    refused = submit(client, edit, changed)
    assert "日期" in refused
    kept = refused.form(button="保存")
    for key in ("held_on", "topic", "minutes", "place", "host", "kind"):
        assert kept.fields[key] == changed[key], key


def test_stage_form_keeps_the_plan(client):
    login(client, "dq01")
    new = open_page(client, "/campaigns/new/")
    form = new.form(button="创建")
    created = submit(
        client,
        form,
        {
            "name": "表单测试活动",
            "version": new.option(form, "version", "涪陵"),
            "scope": new.option(form, "scope", "华西能源集团党委"),
        },
    )
    assert "已创建" in created, created.text[:800]
    stage = open_page(client, created.link("添加阶段"))
    form = stage.form(button="保存")
    typed = {"name": "专项检查", "opens_on": "2027-02-01", "deadline": "2027-01-01"}
    refused = submit(client, form, typed)
    kept = refused.form(button="保存")
    assert "保存" in kept.buttons and refused.url == stage.url, refused.text[:800]
    for key, value in typed.items():
        assert kept.fields[key] == value, key


def test_interview_record_keeps_the_record(client):
    login(client, "dq01")
    pairing = open_page(client, demo_url("/mechanisms/pairings/{pairing:NH-DC}/"))
    year = pairing.form(action="/evaluate/")
    scored = submit(client, year, {"year": "2026", "quarter": "4", "score": "55", "note": "缓慢"})
    assert "已登记对支部书记的约谈" in scored, scored.text[:800]
    talks = open_page(client, "/mechanisms/interviews/")
    form = talks.form(action="/record/")
    refused = submit(client, form, {"held_on": "", "record": "书记表态一个月内补齐台账"})
    assert "约谈日期" in refused and "必填" in refused, refused.text[:800]
    kept = refused.form(action=form.action)
    assert kept.fields["record"] == "书记表态一个月内补齐台账"


def test_claim_keeps_the_member(client):
    login(client, "sj21")
    posts = open_page(client, demo_url("/mechanisms/branches/{org:NH-DC}/posts/"))
    form = posts.form(button="登记认领")
    member = next(value for value, _ in form.selects["member"] if value)
    refused = submit(client, form, {"member": member, "post": ""})
    assert "认领岗位" in refused and "必填" in refused, refused.text[:800]
    assert refused.form(button="登记认领").fields["member"] == member


def test_self_filler_keeps_the_organization(client):
    login(client, "dq01")
    page = open_page(client, demo_url("/stages/{stage:自查}/self-filler/"))
    form = page.form(button="指定")
    org = next(value for value, _ in form.selects["organization"] if value)
    refused = submit(client, form, {"organization": org, "filler": ""})
    assert "必填" in refused, refused.text[:800]
    assert refused.form(button="指定").fields["organization"] == org


def test_slot_texts_keep_every_text(client):
    login(client, "dq01")
    page = open_page(client, demo_url("/rubrics/xining-2021/v1/slots/?enterprise={org:GT}"))
    form = page.form(button="保存")
    slots = sorted(name for name in form.fields if name.startswith("slot_"))
    typed = {name: f"个性指标{n}：安全生产与党建融合" for n, name in enumerate(slots, 1)}
    typed[slots[-1]] = "过长" * 501  # 1,002 characters: refused
    refused = submit(client, form, typed)
    assert "1000" in refused, refused.text[:800]
    kept = refused.form(button="保存")
    assert {name: kept.fields[name] for name in slots} == typed


def test_bulk_measures_keep_every_line(client):
    login(client, "sj01")
    page = open_page(
        client, demo_url("/campaigns/{campaign:2025年度}/orgs/{org:GT-LG-01}/measures/")
    )
    form = next(f for f in page.forms if any(n.startswith("measure_") for n in f.fields))
    lines = sorted(n for n in form.fields if n.startswith("measure_"))[:2]
    assert len(lines) == 2, page.text[:800]
    typed = {
        lines[0]: "逐月核对会议记录",
        lines[0].replace("measure_", "responsible_"): "赵" * 51,  # too long: refused
        lines[1]: "补齐党员发展档案",
        lines[1].replace("measure_", "responsible_"): "钱七",
    }
    refused = submit(client, form, typed)
    assert "未做任何修改" in refused, refused.text[:800]
    kept = next(f for f in refused.forms if lines[0] in f.fields)
    assert {name: kept.fields[name] for name in typed} == typed


def test_follow_up_keeps_the_note(client):
    login(client, "sj01")
    items = open_page(client, "/rectifications/?status=open")
    url = items.links_to(r"^/rectifications/\d+/$")[0][0]
    ask_to_close(client, url, measure="逐月核对会议记录", responsible="赵六")
    login(client, "dq01")
    close(client, url)
    form = open_page(client, url).form(action="/follow-up/")
    refused = submit(client, form, {"note": "回头看：记录已连续三个月完整", "on": ""})
    assert "请填写回头看情况和日期" in refused, refused.text[:800]
    kept = refused.form(action="/follow-up/")
    assert kept.fields["note"] == "回头看：记录已连续三个月完整"


def test_claim_review_keeps_the_decision(client):
    login(client, "sj21")
    posts = open_page(client, demo_url("/mechanisms/branches/{org:NH-DC}/posts/"))
    form = posts.form(button="登记认领")
    # A member the page lists as not having claimed a 基础岗 yet, claiming one.
    unclaimed = re.search(r"尚未认领基础岗[^：]*：([^<]+)</div>", posts.html).group(1).split("、")
    member = next(value for value, name in form.selects["member"] if name in unclaimed)
    post = next(value for value, name in form.selects["post"] if name.startswith("基础岗"))
    claimed = submit(client, form, {"member": member, "post": post})
    assert "待支委会审核" in claimed, claimed.text[:800]
    review = claimed.form(button="支委会审核")
    note = "岗位与本人专业不符，" * 21  # 210 characters: refused
    refused = submit(client, review, {"approved": "0", "note": note})
    assert "审核意见" in refused, refused.text[:800]
    kept = refused.form(action=review.action)
    assert (kept.fields["approved"], kept.fields["note"]) == ("0", note)
