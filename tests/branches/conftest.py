"""The permission matrix's objects, built once per module (tests/branches/test_permissions.py
and test_fuzz.py): the tree, one person per role, a campaign with every kind of object a
URL takes, and one logged-in session per role."""

from dataclasses import dataclass, field
from http.cookies import SimpleCookie

import pytest
from django.conf import settings
from django.test import Client

from assessments.models import Notice, NoticeKind
from branches import importing
from branches import services as branches_services
from branches.api import services as api_services
from branches.models import (
    CrossReviewGroup,
    DirectoryRoleProposal,
    ImportKind,
    Member,
    Membership,
    Role,
    User,
)
from tests.conftest import (
    copy_media,
    make_person,
    make_rubric,
    make_superuser,
    make_tree,
    make_user,
    open_every_stage,
    shared_data,
    xlsx_bytes,
)


@dataclass
class Matrix:
    objects: dict  # url args by the name the matrix gives them
    users: dict[str, User]  # by role: the fixtures' names, and "superuser"
    sessions: dict[str, str] = field(default_factory=dict)  # session key by role

    clients: dict[str, Client] = field(default_factory=dict)  # one per role

    def client(self, role: str) -> Client:
        """The role's client holding only its session ("anonymous": no cookie at all), as
        a fresh `force_login` would give."""
        client = self.clients.setdefault(role, Client())
        client.cookies = SimpleCookie()
        if role != "anonymous":
            client.cookies[settings.SESSION_COOKIE_NAME] = self.sessions[role]
        return client


@pytest.fixture(scope="module")
def matrix_data(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("matrix_media")
    with shared_data("matrix_data", django_db_blocker, media):
        tree = make_tree()
        # In the order the function fixtures made them: those the objects need first.
        users = {p: make_person(tree, p) for p in ("dept_admin", "sysadmin", "auditor")}
        users["superuser"] = make_superuser()
        users |= {p: make_person(tree, p) for p in ("secretary_a", "secretary_b")}
        matrix = Matrix(objects=_objects(tree, users), users=users)
        users |= {p: make_person(tree, p) for p in ("outsider", "reviewer", "leader")}
        users["security_admin"] = make_person(tree, "security_admin")
        matrix.objects["security_self"] = [users["security_admin"].pk]
        token, _ = api_services.create_token(
            by=users["security_admin"], name="矩阵", organization=tree.root, scope="read"
        )
        matrix.objects["api_token"] = [token.pk]
        matrix.objects["org_code"] = [tree.a.code]
        for role, user in users.items():
            client = Client()
            client.force_login(user)
            matrix.sessions[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
        yield matrix, media


@pytest.fixture
def matrix(matrix_data, db, settings) -> Matrix:
    """The module's objects, as they were built: this test's writes are rolled back after
    it, and it works on its own copy of their files."""
    matrix, media = matrix_data
    copy_media(media, settings.MEDIA_ROOT)
    return matrix


def _objects(tree, users) -> dict:
    dept_admin, secretary_b = users["dept_admin"], users["secretary_b"]
    other_sysadmin = make_user("sys_other", (tree.e1, Role.SYSADMIN))
    # The 系统管理员 resets the password of a 支部书记: a request for a 安全管理员.
    reset = branches_services.set_password(
        secretary_b, by=users["sysadmin"], password="Chongzhi#2026"
    )
    group = CrossReviewGroup.objects.create(owner=tree.root, name="第一组")
    # A directory group suggested 考评员 for 乙书记 (a directory sign-in writes these).
    proposal = DirectoryRoleProposal.objects.create(
        user=secretary_b, organization=tree.b, role=Role.REVIEWER, group_dn="cn=reviewers"
    )
    _, draft = make_rubric("demo-rubric")
    draft_section = draft.sections.get()
    draft_item = draft.indicators.get(code="1.1")
    campaign, sheet, evidence, draw = _campaign_objects(tree, dept_admin, users["secretary_a"])
    result, item, item_evidence = _result_objects(campaign, tree, dept_admin, secretary_b)
    job = importing.start_import(
        by=dept_admin,
        kind=ImportKind.ORGANIZATIONS,
        filename="t.xlsx",
        content=xlsx_bytes(
            ["编码", "名称", "类型", "上级编码"], [["N9", "新支部", "党支部", "E1"]]
        ),
    )
    member = Member.objects.create(organization=tree.a, name="甲党员", status="full")
    member_b = Member.objects.create(organization=tree.b, name="乙党员", status="full")
    meeting, attachment = _meeting_objects(tree, users["secretary_a"], member)
    mechanisms = _mechanism_objects(tree, dept_admin, member, member_b, users["secretary_b"])
    notice = Notice.objects.create(
        recipient=users["secretary_a"],
        kind=NoticeKind.RETURNED,
        key="matrix",
        text="退回",
        link="/",
    )
    return {
        **mechanisms,
        "notice": [notice.pk],
        "meeting": [meeting.pk],
        "meeting_attachment": [attachment.pk],
        "member": [member.pk],
        "member_b": [member_b.pk],
        "a": [tree.a.pk],
        "b": [tree.b.pk],
        "kind_orgs": ["organizations"],
        "kind_people": ["people"],
        "job": [job.pk],
        "group": [group.pk],
        "person": [secretary_b.pk],
        "membership": [Membership.objects.get(user=secretary_b).pk],
        "superuser_person": [users["superuser"].pk],
        "other_sysadmin": [other_sysadmin.pk],
        "auditor_person": [users["auditor"].pk],
        "auditor_grant": [Membership.objects.get(user=users["auditor"]).pk],
        "sysadmin_self": [users["sysadmin"].pk],
        "reset": [reset.pk],
        "role_proposal": [proposal.pk],
        "v1": ["demo-rubric", 1],
        "v2": ["demo-rubric", 2],
        "v2_section": ["demo-rubric", 2, draft_section.pk],
        "v2_item": ["demo-rubric", 2, draft_item.pk],
        "campaign": [campaign.pk],
        "stage": [campaign.stages.get(position=1).pk],
        "sheet": [sheet.pk],
        "evidence": [evidence.pk],
        "draw": [draw.pk],
        "result": [result.pk],
        "consequence": [result.consequences.get().pk],
        "item": [item.pk],
        "measures": [item.campaign_id, item.organization_id],
        "item_evidence": [item_evidence.pk],
        "report_kind": [campaign.pk, "summary"],
        "report_job": [_report_job(campaign, dept_admin).pk],
        "diff": (["demo-rubric"], "?a=1&b=2"),
        "diff_published": (["demo-rubric"], "?a=1&b=1"),
    }


def _campaign_objects(tree, dept_admin, secretary):
    """An open campaign; branch A's self-assessment submitted with one piece of evidence."""
    from django.utils import timezone

    from assessments import services
    from assessments.models import Draw
    from tests.assessments.conftest import simple_version

    campaign = services.create_campaign(
        by=dept_admin,
        name="考评",
        version=simple_version("xining-matrix"),
        scope=tree.root,
        year=2026,
        quarter=None,
        template="standardization",
        start=timezone.localdate(),
    )
    open_every_stage(campaign)
    services.open_campaign(campaign, by=dept_admin)
    sheet = campaign.sheets.get(organization=tree.a)
    services.save_entries(
        sheet, by=secretary, revision=sheet.revision, values={"1.1": "5", "1.2": "5"}
    )
    evidence = services.add_evidence(
        sheet, by=secretary, code="1.1", name="记录.pdf", content=b"%PDF-1.4 test"
    )
    services.submit_sheet(sheet, by=secretary)
    draw = Draw.objects.create(
        stage=campaign.stages.get(position=0),
        seed="s",
        inputs={"population": {}, "ratio": None, "count": None},
        selected={},
        created_by=dept_admin,
    )
    return campaign, sheet, evidence, draw


def _result_objects(campaign, tree, dept_admin, secretary_b):
    """Branch B reviewed by another reviewer, signed, consolidated: a 不达标 result with a
    consequence and rectification items; B's secretary attached evidence to one."""
    from assessments import services

    other = make_user("kp_other", (tree.root, Role.REVIEWER))
    (sheet,) = services.assign_reviewers(
        campaign.stages.get(position=1), by=dept_admin, reviewers=[other], orgs=[tree.b]
    )
    services.save_entries(sheet, by=other, revision=sheet.revision, values={"1.1": "4", "1.2": "3"})
    sheet.refresh_from_db()
    services.submit_sheet(sheet, by=other)
    services.sign_sheet(sheet, by=dept_admin)
    services.consolidate(campaign, by=dept_admin)
    result = campaign.results.get(organization=tree.b)
    item = result.rectifications.get(code="1.1")
    evidence = services.add_rectification_evidence(
        item, by=secretary_b, name="整改.pdf", content=b"%PDF-1.4 fixed"
    )
    return result, item, evidence


def _meeting_objects(tree, secretary, member):
    """A 支委会 held by branch A with its one member present, and a sign-in sheet."""
    from datetime import date

    from assessments.meetings import services

    meeting = services.save_meeting(
        tree.a,
        by=secretary,
        values={"kind": "committee", "held_on": date(2026, 3, 5), "topic": "三月支委会"},
        attendance=[services.Presence(member, True)],
    )
    attachment = services.add_meeting_attachment(
        meeting, by=secretary, name="签到表.pdf", content=b"%PDF-1.4 sign-in"
    )
    return meeting, attachment


def _report_job(campaign, dept_admin):
    """A finished summary report requested by the department admin."""
    from django.core.files.base import ContentFile

    from assessments.models import ReportJob

    job = ReportJob.objects.create(
        kind="summary", campaign=campaign, requested_by=dept_admin, status="done", progress=100
    )
    job.file.save("summary.pdf", ContentFile(b"%PDF-1.4 summary"))
    return job


def _mechanism_objects(tree, dept_admin, member, member_b, secretary_b) -> dict:
    """Branch A paired with a helper, inspected by a member of B (B's secretary's login),
    with an open item, a 约谈, and a published post claimed by A's member."""
    from datetime import date

    from assessments.mechanisms.services import inspection, pairing, posts
    from assessments.models import Interview
    from rubrics.models import RubricVersion

    helper = make_user("helper_x", name="帮扶人")
    p = pairing.create_pairing(
        by=dept_admin,
        organization=tree.a,
        supervisor=tree.e1,
        data={
            "helper_name": "帮扶人",
            "helper_post": "党群部部长",
            "helper": helper,
            "start": date(2026, 1, 1),
            "end": date(2026, 12, 31),
            "targets": "台账齐全率 100%",
        },
    )
    item = pairing.add_weakness(p, by=dept_admin, problem="台账不全")
    interview = Interview.objects.create(
        organization=tree.a, secretary_name="甲书记", reason="测试", recorded_by=dept_admin
    )
    Member.objects.filter(pk=member_b.pk).update(user=secretary_b)
    member_b.refresh_from_db()
    insp = inspection.schedule_inspection(
        by=dept_admin,
        organization=tree.a,
        version=RubricVersion.objects.get(rubric__code="demo-rubric", number=1),
        year=2026,
        quarter=1,
        scheduled_on=date(2026, 3, 1),
        inspectors=[member_b],
    )
    post = posts.add_post(
        tree.a, by=dept_admin, year=2026, quarter=1, kind="basic", title="基础岗", duty="履职"
    )
    posts.publish_posts(tree.a, by=dept_admin, year=2026, quarter=1)
    post.refresh_from_db()
    claim = posts.claim_post(post, by=dept_admin, member=member)
    return {
        "pairing": [p.pk],
        "pairing_evaluate": [p.pk, "evaluate"],
        "pairing_item": [item.pk],
        "interview": [interview.pk],
        "inspection": [insp.pk],
        "post_add": [tree.a.pk, "add"],
        "claim_review": [claim.pk, "review"],
    }
