"""A 系统管理员's password reset of an account that reads scores waits for a 安全管理员
(三员分立: such an account is never within one person's reach). The happy path, the wrong
state, the wrong role, an outsider, and the audit rows of both steps."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from branches import services
from branches.models import AuditEntry, PasswordResetRequest, ResetStatus, Role
from branches.services import BranchesError
from tests.conftest import PASSWORD, make_user

NEW = "Chongzhi#2026"


def request_reset(client, sysadmin, person):
    client.force_login(sysadmin)
    return client.post(
        reverse("person_set_password", args=[person.pk]), {"password1": NEW, "password2": NEW}
    )


def test_a_reset_of_a_score_reader_waits_for_approval(client, sysadmin, security_admin, leader):
    response = request_reset(client, sysadmin, leader)
    assert response.status_code == 302
    leader.refresh_from_db()
    assert leader.check_password(PASSWORD) and not leader.must_change_password
    reset = leader.password_resets.get()
    assert reset.status == ResetStatus.PENDING and reset.requested_by == sysadmin
    assert NEW not in reset.password  # only its hash

    # The requester sees it waiting but cannot approve it.
    assert client.post(reverse("password_reset_approve", args=[reset.pk])).status_code == 403
    client.force_login(security_admin)
    response = client.post(reverse("password_reset_approve", args=[reset.pk]))
    assert response.status_code == 302
    leader.refresh_from_db()
    assert leader.check_password(NEW) and leader.must_change_password
    reset.refresh_from_db()
    assert reset.status == ResetStatus.APPROVED and reset.decided_by == security_admin

    # Both steps are audited, by who did them; the password is never shown.
    entries = AuditEntry.objects.filter(model="密码重置申请", object_id=str(reset.pk))
    assert [(e.action, e.actor) for e in entries.order_by("id")] == [
        ("create", sysadmin),
        ("update", security_admin),
    ]
    changed = AuditEntry.objects.filter(model="用户", object_id=str(leader.pk)).latest("id")
    assert changed.actor == security_admin
    assert changed.changes["password"]["new"] == "******（已修改）"
    assert NEW not in str(list(AuditEntry.objects.values_list("changes", flat=True)))


def test_an_account_without_scores_is_reset_at_once(client, sysadmin, tree):
    person = make_user("300200", name="新人")
    request_reset(client, sysadmin, person)
    person.refresh_from_db()
    assert person.check_password(NEW) and not person.password_resets.exists()


def test_an_assessor_without_a_role_waits_too(sysadmin, tree, secretary_a, dept_admin):
    """Bindings outside the role table count: here a score sheet's assessor."""
    from django.utils import timezone

    from assessments import services as assessments
    from assessments.models import ScoreSheet
    from tests.assessments.conftest import simple_version

    campaign = assessments.create_campaign(
        by=dept_admin,
        name="考评",
        version=simple_version("reset-binding"),
        scope=tree.root,
        year=2026,
        quarter=None,
        template="standardization",
        start=timezone.localdate(),
    )
    assessments.open_campaign(campaign, by=dept_admin)
    person = make_user("300201", name="打分人")
    ScoreSheet.objects.filter(campaign=campaign).update(assessor=person)
    assert services.set_password(person, by=sysadmin, password=NEW) is not None
    person.refresh_from_db()
    assert person.check_password(PASSWORD)


def test_the_wrong_state_and_one_pending_request(sysadmin, security_admin, leader):
    reset = services.set_password(leader, by=sysadmin, password=NEW)
    with pytest.raises(BranchesError, match="已有待批准的密码重置申请"):
        services.set_password(leader, by=sysadmin, password="Lingyi#2026x")
    with pytest.raises(BranchesError, match="驳回须填写理由"):
        services.reject_password_reset(reset, by=security_admin, reason=" ")
    services.reject_password_reset(reset, by=security_admin, reason="本人未申请")
    leader.refresh_from_db()
    assert leader.check_password(PASSWORD)
    with pytest.raises(BranchesError, match="该申请已驳回，不能再审批"):
        services.approve_password_reset(reset, by=security_admin)
    leader.refresh_from_db()
    assert leader.check_password(PASSWORD)


def test_the_wrong_role_and_an_outsider(client, tree, sysadmin, security_admin, secretary_a):
    reset = services.set_password(secretary_a, by=sysadmin, password=NEW)
    for role in (Role.DEPT_ADMIN, Role.AUDITOR, Role.LEADER):
        client.force_login(make_user(f"u_{role}", (tree.root, role)))
        assert client.post(reverse("password_reset_approve", args=[reset.pk])).status_code == 403
    # A 安全管理员 of 二公司 does not see 甲党支部's secretary at all.
    client.force_login(make_user("sec_e2", (tree.e2, Role.SECURITY_ADMIN)))
    assert client.post(reverse("password_reset_approve", args=[reset.pk])).status_code == 404
    assert client.get(reverse("password_reset_list")).content.decode().count("甲书记") == 0
    with pytest.raises(BranchesError, match="不在您的授权管理范围内"):
        services.approve_password_reset(
            reset, by=make_user("sec_e2b", (tree.e2, Role.SECURITY_ADMIN))
        )
    secretary_a.refresh_from_db()
    assert secretary_a.check_password(PASSWORD)
    # The 安全管理员 sets no password itself.
    client.force_login(security_admin)
    response = client.post(
        reverse("person_set_password", args=[secretary_a.pk]),
        {"password1": NEW, "password2": NEW},
    )
    assert response.status_code == 403


def test_the_database_refuses_a_self_approved_request(sysadmin, leader):
    reset = services.set_password(leader, by=sysadmin, password=NEW)
    with pytest.raises(IntegrityError), transaction.atomic():
        PasswordResetRequest.objects.filter(pk=reset.pk).update(
            status=ResetStatus.APPROVED, decided_by=sysadmin
        )
