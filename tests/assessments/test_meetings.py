"""Meeting records, their lock and amendments, the calendar's arithmetic over records,
the problem ledger and the yearly screening, at the service level (the journeys drive the
same through the pages)."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from assessments import services
from assessments.meetings import services as meeting_services
from assessments.meetings.selectors import branch_calendar, department_view
from assessments.meetings.services import Presence
from assessments.models import (
    Meeting,
    MeetingAmendment,
    MeetingStatus,
    ProblemSource,
    RectificationItem,
    Screening,
)
from assessments.services import AssessmentError
from branches.access import visible_orgs
from branches.models import AuditEntry, Member, Organization
from tests.conftest import make_org

TODAY = date(2026, 11, 21)


@pytest.fixture
def members(tree):
    return [
        Member.objects.create(organization=tree.a, name=name, status="full")
        for name in ("甲一", "甲二", "甲三")
    ]


def _held(org, by, kind, day, members=(), absent=None):
    absent = absent or {}
    return meeting_services.save_meeting(
        org,
        by=by,
        values={"kind": kind, "held_on": day, "topic": f"{kind} {day}"},
        attendance=[Presence(m, m.name not in absent, absent.get(m.name, "")) for m in members],
    )


def test_announce_then_record_then_check_locks(tree, secretary_a, reviewer, members):
    meeting = meeting_services.save_meeting(
        tree.a,
        by=secretary_a,
        values={"kind": "committee", "planned_on": date(2026, 3, 5), "topic": "三月支委会"},
    )
    assert meeting.status == MeetingStatus.PLANNED
    with pytest.raises(AssessmentError, match="只有已召开"):
        meeting_services.check_meeting(meeting, by=reviewer)  # wrong state: not held yet
    meeting = meeting_services.save_meeting(
        tree.a,
        by=secretary_a,
        meeting=meeting,
        values={
            "kind": "committee",
            "planned_on": date(2026, 3, 5),
            "held_on": date(2026, 3, 6),
            "topic": "三月支委会",
        },
        attendance=[Presence(members[0], True), Presence(members[1], False, "出差")],
    )
    assert meeting.status == MeetingStatus.HELD and meeting.late
    with pytest.raises(AssessmentError, match="只有考评员或党群部"):
        meeting_services.check_meeting(meeting, by=secretary_a)  # wrong role
    meeting = meeting_services.check_meeting(meeting, by=reviewer)
    assert meeting.is_locked and meeting.checked_by == reviewer
    with pytest.raises(AssessmentError, match="已审核锁定"):
        meeting_services.save_meeting(
            tree.a,
            by=secretary_a,
            meeting=meeting,
            values={"kind": "committee", "held_on": date(2026, 3, 7), "topic": "改"},
        )
    entries = list(AuditEntry.objects.filter(model="组织生活记录"))
    assert len(entries) >= 3  # announced, recorded, attendance
    [who] = [e.changes["attendance"] for e in entries if "attendance" in e.changes]
    assert who["new"] == "甲一、甲二（缺席：出差）"


def test_amendment_needs_a_reason_and_records_old_and_new(tree, secretary_a, reviewer, members):
    meeting = _held(tree.a, secretary_a, "committee", date(2026, 3, 5), members)
    meeting_services.check_meeting(meeting, by=reviewer)
    values = {"kind": "committee", "held_on": date(2026, 3, 5), "topic": "三月支委会（更正）"}
    with pytest.raises(AssessmentError, match="更正必须写明理由"):
        meeting_services.amend_meeting(meeting, by=secretary_a, reason=" ", values=values)
    amendment = meeting_services.amend_meeting(
        meeting,
        by=secretary_a,
        reason="主题笔误",
        values=values,
        attendance=[Presence(members[0], False, "病假"), Presence(members[1], True)],
    )
    labels = [c[0] for c in amendment.changes]
    assert labels == ["主题", "出席情况"]
    assert amendment.changes[0][1:] == ["committee 2026-03-05", "三月支委会（更正）"]
    assert "甲一（缺席：病假）" in amendment.changes[1][2]
    meeting.refresh_from_db()
    assert meeting.is_locked and meeting.topic == "三月支委会（更正）"
    assert MeetingAmendment.objects.filter(meeting=meeting).count() == 1


def test_refusals_name_what_is_wrong(tree, secretary_a, secretary_b, members):
    other = Member.objects.create(organization=tree.b, name="乙一", status="full")
    with pytest.raises(AssessmentError) as caught:
        meeting_services.save_meeting(
            tree.a,
            by=secretary_a,
            values={"kind": "tea", "held_on": date(2099, 1, 1), "topic": ""},
            attendance=[Presence(members[0], False, ""), Presence(other, True)],
        )
    message = str(caught.value)
    for part in (
        "会议类型不正确",
        "召开日期不能晚于今天",
        "请填写会议主题",
        "甲一 缺席，必须写明原因",
        "乙一 不是本支部党员",
    ):
        assert part in message
    with pytest.raises(AssessmentError, match="本支部书记"):
        _held(tree.a, secretary_b, "committee", date(2026, 3, 5))  # another branch's
    with pytest.raises(IntegrityError), transaction.atomic():
        Meeting.objects.create(
            organization=tree.a, kind="committee", topic="无日期", created_by=secretary_a
        )


def test_calendar_counts_periods_attendance_and_lateness(tree, secretary_a, members):
    for month in (7, 9):
        _held(tree.a, secretary_a, "committee", date(2026, month, 5), members, {"甲三": "病假"})
    meeting_services.save_meeting(
        tree.a,
        by=secretary_a,
        values={
            "kind": "party_congress",
            "planned_on": date(2026, 8, 18),
            "held_on": date(2026, 8, 20),
            "topic": "党员大会",
        },
        attendance=[Presence(m, True) for m in members],
    )
    calendar = branch_calendar(tree.a, 2026, 3, today=TODAY)
    rows = {r.kind.code: r for r in calendar["rows"]}
    assert rows["committee"].missing == ["8月"]
    assert rows["committee"].rate == Decimal("66.7")  # 4 of 6
    assert rows["party_congress"].missing == [] and rows["party_congress"].late == 1
    assert rows["secretary_lecture"].missing == []  # the year is not over: not yet due
    year = branch_calendar(tree.a, 2026, today=TODAY)
    committee = next(r for r in year["rows"] if r.kind.code == "committee")
    assert committee.missing == ["1月", "2月", "3月", "4月", "5月", "6月", "8月", "10月"]
    assert [c.due for c in committee.counts][9:11] == [True, False]  # November not over


def test_department_view_reads_every_branch_at_once(
    tree, secretary_a, dept_admin, members, django_assert_max_num_queries
):
    for n in range(5):
        org = Organization.objects.create(
            code=f"X{n}", name=f"新{n}支部", kind="branch", parent=tree.e1
        )
        org.path = f"{tree.e1.path}{org.pk}/"
        org.save()
    _held(tree.a, secretary_a, "committee", date(2026, 7, 5), members)
    with django_assert_max_num_queries(6):
        gaps = department_view(visible_orgs(dept_admin), 2026, 3, today=TODAY)
    mine = next(g for g in gaps if g.org == tree.a)
    assert ("支委会", ["8月", "9月"]) in mine.missing and mine.held == 1 and mine.rate == 100


def test_the_overview_counts_the_branches_on_one_line(tree, dept_admin, client):
    """One page of branches: "共 N 个党支部，M 个有缺开的会议" with no stray space."""
    client.force_login(dept_admin)
    text = client.get("/meetings/?year=2026").content.decode()
    assert re.search(r"共 \d+ 个党支部，\d+ 个有缺开的会议。", text), text


def test_problem_entered_by_hand_and_the_screening_history(tree, secretary_a, dept_admin):
    item = services.add_problem(
        tree.a,
        by=secretary_a,
        source=ProblemSource.SELF_CHECK,
        problem="党员活动室制度未上墙",
        responsible="王建国",
        deadline=date(2026, 12, 31),
    )
    assert item.code == "自查1" and item.result is None and item.campaign is None
    with pytest.raises(AssessmentError, match="请选择问题来源"):
        services.add_problem(
            tree.a,
            by=dept_admin,
            source=ProblemSource.ASSESSMENT,
            problem="x",
            responsible="y",
            deadline=date(2026, 12, 31),
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        RectificationItem.objects.create(
            organization=tree.a, code="Z", kind="problem", problem="x", deadline=date(2026, 1, 1)
        )  # an assessment item without its result

    with pytest.raises(AssessmentError, match="党群部"):
        services.screen_branch(tree.a, by=secretary_a, year=2026, category="lagging", reason="r")
    services.screen_branch(
        tree.a, by=dept_admin, year=2026, category="lagging", reason="支委会缺位"
    )
    tree.a.refresh_from_db()
    assert tree.a.category == "lagging"
    [opened] = RectificationItem.objects.filter(organization=tree.a, screening__isnull=False)
    assert opened.source == ProblemSource.CONSOLIDATION and "支委会缺位" in opened.problem
    with pytest.raises(AssessmentError, match="更早年度"):
        services.screen_branch(tree.a, by=dept_admin, year=2025, category="advanced", reason="r")
    services.screen_branch(tree.a, by=dept_admin, year=2027, category="ordinary", reason="验收合格")
    tree.a.refresh_from_db()
    assert tree.a.category == "ordinary"
    assert list(Screening.objects.filter(organization=tree.a).values_list("year", "category")) == [
        (2027, "ordinary"),
        (2026, "lagging"),
    ]
    assert AuditEntry.objects.filter(model="年度过筛子").count() == 2


def test_the_rectification_list_finds_a_branch_by_its_code(tree, dept_admin, client):
    """整改清单's search finds a branch by its code, as the other lists' searches do."""
    for org, problem in ((tree.a, "党员活动室制度未上墙"), (tree.b, "三会一课记录不全")):
        services.add_problem(
            org,
            by=dept_admin,
            source=ProblemSource.SELF_CHECK,
            problem=problem,
            responsible="王建国",
            deadline=date(2026, 12, 31),
        )
    client.force_login(dept_admin)
    text = client.get(f"/rectifications/?q={tree.b.code}").content.decode()
    assert "三会一课记录不全" in text and "党员活动室制度未上墙" not in text


def test_hegang_21_is_a_checklist_level_from_the_records(tree, dept_admin, secretary_a, members):
    """河钢 21 (党支部组织生活) measures seven kinds: the level is the one its share of
    periods met reaches; a different level needs the assessor's reason to submit."""
    from django.core.management import call_command

    from assessments.meetings.selectors import sheet_suggestions
    from assessments.selectors import sheet_rules
    from rubrics.models import RubricVersion

    call_command("load_rubrics", verbosity=0)
    version = RubricVersion.objects.get(rubric__code="hegang-2020", number=1)
    campaign = services.create_campaign(
        by=dept_admin,
        name="三季度河钢对标",
        version=version,
        scope=tree.root,
        year=2026,
        quarter=3,
        template="standardization",
        start=date(2026, 10, 1),
        kinds=["branch"],
    )
    services.open_campaign(campaign, by=dept_admin)
    sheet = campaign.sheets.get(organization=tree.a)
    for month in (7, 8, 9):
        _held(tree.a, secretary_a, "committee", date(2026, month, 5), members)
        _held(tree.a, secretary_a, "group", date(2026, month, 12), members)
        _held(tree.a, secretary_a, "theme_day", date(2026, month, 10), members)
    _held(tree.a, secretary_a, "party_congress", date(2026, 9, 20), members)
    rules = sheet_rules(sheet)
    found = {s.code: s for s in sheet_suggestions(sheet, rules, version.record_requirements)}
    # 3 + 3 + 3 + 1 periods met of 11 (no 党课 this quarter; yearly ones not yet due).
    assert found["21"].suggestion.level == "基本达标"
    assert found["21"].suggestion.value == Decimal("0.5")
    assert "党课 每季度1次：应 1 期，达到 0 期" in found["21"].suggestion.reasons
    assert found["20"].suggestion is None  # 书记讲党课: the year is not over

    values = {i.code: "1" for i in rules.items()}
    services.save_entries(sheet, by=secretary_a, revision=sheet.revision, values=values)
    with pytest.raises(AssessmentError, match="指标 21 的得分与会议记录的建议得分不同"):
        services.submit_sheet(sheet, by=secretary_a)
    services.record_departure(
        sheet, by=secretary_a, code="21", suggested=Decimal("0.5"), reason="党课与主题党日合并开展"
    )
    submitted = services.submit_sheet(sheet, by=secretary_a)
    assert submitted.status == "submitted"
    with pytest.raises(AssessmentError, match="已提交或已签发"):  # wrong state
        services.record_departure(
            submitted, by=secretary_a, code="21", suggested=Decimal("0.5"), reason="改"
        )


def test_the_overviews_list_branches_in_the_tree_order(tree, dept_admin, client):
    """组织生活 and 过筛子 list the branches as 组织架构 does (children by code), not by
    their paths' digits, which put a later branch anywhere among its siblings."""
    for code in ("E1-Z", "E1-A"):  # created in an order unlike their codes
        make_org(code, "branch", tree.e1, name=f"支部{code}")
    expected = ["支部E1-A", "支部E1-Z", tree.a.name, tree.b.name]
    client.force_login(dept_admin)
    for url in ("/meetings/?year=2026", "/screenings/?year=2026"):
        text = client.get(url).content.decode()
        assert sorted(expected, key=text.index) == expected, url
