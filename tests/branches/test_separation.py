"""The 系统管理员 cannot take the system over.

Without 三员分立 it could: it reset a superuser's password and logged in to the admin,
granted itself 党群部管理员 and 考评员, rewrote a signed score, and read the audit trail of
its own actions. 三员分立 (GB/T 22239-2019 level 3): it manages other people's accounts
only (no role grants: those are the 安全管理员's); the 审计员 alone reads the audit trail;
only a superuser grants the administrator roles.
"""

import pytest
from django.urls import reverse

from branches import importing, services
from branches.models import ImportKind, Membership, Role, User
from branches.services import BranchesError
from tests.conftest import PASSWORD, make_user, xlsx_bytes

NEW = "Xinmima#2026"


def test_sysadmin_cannot_reset_a_superusers_password(client, sysadmin, superuser):
    client.force_login(sysadmin)
    url = reverse("person_set_password", args=[superuser.pk])
    response = client.post(url, {"password1": NEW, "password2": NEW})
    assert response.status_code == 404  # a superuser is not even visible to it
    superuser.refresh_from_db()
    assert superuser.check_password(PASSWORD) and not superuser.check_password(NEW)
    assert client.get(reverse("person_detail", args=[superuser.pk])).status_code == 404
    people = client.get(reverse("people_list")).content.decode()
    assert "超级管理员" not in people
    client.logout()
    login = client.post(reverse("login"), {"username": "root", "password": NEW})
    assert login.status_code == 200 and "工号或密码不正确" in login.content.decode()


@pytest.mark.parametrize("role", [Role.DEPT_ADMIN, Role.REVIEWER, Role.AUDITOR])
def test_sysadmin_cannot_grant_itself_a_role(client, tree, sysadmin, role):
    client.force_login(sysadmin)
    response = client.post(
        reverse("person_grant_role", args=[sysadmin.pk]),
        {"organization": tree.root.pk, "role": role},
    )
    assert response.status_code == 403
    assert list(sysadmin.memberships.values_list("role", flat=True)) == [Role.SYSADMIN]
    with pytest.raises(BranchesError, match="只有安全管理员可以授予或撤销角色"):
        services.grant_role(by=sysadmin, user=sysadmin, organization=tree.root, role=role)


@pytest.mark.parametrize("role", [Role.DEPT_ADMIN, Role.REVIEWER, Role.SECURITY_ADMIN])
def test_security_admin_cannot_grant_itself_a_role(client, tree, security_admin, role):
    client.force_login(security_admin)
    response = client.post(
        reverse("person_grant_role", args=[security_admin.pk]),
        {"organization": tree.root.pk, "role": role},
    )
    assert response.status_code == 403
    assert list(security_admin.memberships.values_list("role", flat=True)) == [Role.SECURITY_ADMIN]
    with pytest.raises(BranchesError, match=r"不能在人员管理中修改自己的账号|只能由超级管理员授予"):
        services.grant_role(
            by=security_admin, user=security_admin, organization=tree.root, role=role
        )


@pytest.mark.parametrize("admin", ["sysadmin", "security_admin"])
def test_no_administrator_touches_another_administrator(client, tree, admin, request):
    acting = request.getfixturevalue(admin)
    others = [
        make_user("sys2", (tree.e1, Role.SYSADMIN), name="另一系统管理员"),
        make_user("sec2", (tree.e1, Role.SECURITY_ADMIN), name="另一安全管理员"),
        make_user("aud2", (tree.e1, Role.AUDITOR), name="另一审计员"),
    ]
    client.force_login(acting)
    for person in others:
        page = client.get(reverse("person_detail", args=[person.pk]))
        assert page.status_code == 200
        assert "不能管理系统管理员、安全管理员或审计员的账号" in page.content.decode()
        assert 'action="/people/' not in page.content.decode()  # no forms offered
        assert 'action="/roles/' not in page.content.decode()
        password = client.post(
            reverse("person_set_password", args=[person.pk]),
            {"password1": NEW, "password2": NEW},
        )
        assert password.status_code == 403
        grant = client.post(
            reverse("person_grant_role", args=[person.pk]),
            {"organization": tree.a.pk, "role": Role.REVIEWER},
        )
        assert grant.status_code == 403
        edit = client.post(
            reverse("person_detail", args=[person.pk]), {"name": "改名", "is_active": ""}
        )
        assert edit.status_code == 403
        revoke = client.post(reverse("membership_revoke", args=[person.memberships.get().pk]))
        assert revoke.status_code == 403
        person.refresh_from_db()
        assert person.is_active and person.check_password(PASSWORD)
        assert person.memberships.count() == 1


def test_only_a_superuser_grants_the_administrator_roles(
    tree, sysadmin, security_admin, superuser, secretary_b
):
    person = services.create_user(by=sysadmin, username="300009", name="新人")
    for role in (Role.SYSADMIN, Role.AUDITOR, Role.SECURITY_ADMIN):
        with pytest.raises(BranchesError, match="只能由超级管理员授予"):
            services.grant_role(by=security_admin, user=person, organization=tree.root, role=role)
    services.grant_role(by=superuser, user=person, organization=tree.root, role=Role.AUDITOR)
    assert person.memberships.get().role == Role.AUDITOR


def test_administrator_roles_are_held_alone(tree, superuser, sysadmin, secretary_a):
    with pytest.raises(BranchesError, match="三员分立"):
        services.grant_role(by=superuser, user=sysadmin, organization=tree.root, role=Role.REVIEWER)
    with pytest.raises(BranchesError, match="三员分立"):
        services.grant_role(by=superuser, user=sysadmin, organization=tree.root, role=Role.AUDITOR)
    with pytest.raises(BranchesError, match="三员分立"):
        services.grant_role(
            by=superuser, user=sysadmin, organization=tree.root, role=Role.SECURITY_ADMIN
        )
    with pytest.raises(BranchesError, match=r"三员分立.*支部书记"):
        services.grant_role(
            by=superuser, user=secretary_a, organization=tree.root, role=Role.SYSADMIN
        )


def test_sysadmin_cannot_read_or_export_the_audit_trail(client, sysadmin, dept_admin):
    client.force_login(sysadmin)
    assert client.get(reverse("audit_list")).status_code == 403
    assert client.get(reverse("audit_export")).status_code == 403
    assert reverse("audit_list") not in client.get(reverse("home")).content.decode()
    client.force_login(dept_admin)
    assert client.get(reverse("audit_list")).status_code == 403


def test_sysadmin_cannot_import_roles_for_itself_or_protected_accounts(
    tree, sysadmin, auditor, superuser
):
    rows = [
        ["sysadmin", "系统管理员", "", "", "R", "", "党群部管理员"],
        ["auditor", "审计员改名", "", "", "", "", ""],
        ["root", "超级管理员", "", "", "A", "", "考评员"],
        ["sysadmin", "系统管理员", "", "", "R", "", "系统管理员"],  # unchanged: round-trips
    ]
    job = importing.start_import(
        by=sysadmin,
        kind=ImportKind.PEOPLE,
        filename="p.xlsx",
        content=xlsx_bytes(["工号", "姓名", "邮箱", "手机", "组织编码", "组织名称", "角色"], rows),
    )
    by_row = {r["row"]: (r["action"], " ".join(r["errors"])) for r in job.summary["rows"]}
    assert "不能在人员管理中修改自己的账号" in by_row[2][1]
    assert "角色由安全管理员授予" in by_row[2][1]
    assert "不能管理系统管理员、安全管理员或审计员的账号" in by_row[3][1]
    assert "不能管理超级管理员的账号" in by_row[4][1]
    assert by_row[5][0] == "skip"
    assert not job.summary["ok"]
    assert sysadmin.memberships.count() == 1 and not superuser.memberships.exists()
    assert User.objects.get(username="auditor").name == "审计员"


def test_the_attack_chain_is_refused_at_every_step(
    client, tree, sysadmin, superuser, secretary_a, dept_admin
):
    """Replays the attack: every step the 系统管理员 took is now refused."""
    from django.utils import timezone

    from assessments import services as assessments
    from tests.assessments.conftest import simple_version

    campaign = assessments.create_campaign(
        by=dept_admin,
        name="考评",
        version=simple_version("attack"),
        scope=tree.root,
        year=2026,
        quarter=None,
        template="standardization",
        start=timezone.localdate(),
    )
    assessments.open_campaign(campaign, by=dept_admin)
    sheet = campaign.sheets.get(organization=tree.a)
    assessments.save_entries(
        sheet, by=secretary_a, revision=sheet.revision, values={"1.1": "1", "1.2": "5"}
    )
    assessments.submit_sheet(sheet, by=secretary_a)
    assessments.sign_sheet(sheet, by=dept_admin)

    client.force_login(sysadmin)
    steps = {
        "superuser password": client.post(
            reverse("person_set_password", args=[superuser.pk]),
            {"password1": NEW, "password2": NEW},
        ),
        "admin": client.get(reverse("admin:index")),
        "grant 党群部管理员": client.post(
            reverse("person_grant_role", args=[sysadmin.pk]),
            {"organization": tree.root.pk, "role": Role.DEPT_ADMIN},
        ),
        "reopen": client.post(reverse("sheet_reopen", args=[sheet.pk]), {"reason": "改分"}),
        "reassign": client.post(
            reverse("sheet_reassign", args=[sheet.pk]), {"assessor": sysadmin.pk}
        ),
        "autosave": client.post(
            reverse("sheet_autosave", args=[sheet.pk]), {"revision": 99, "v_1.1": "0"}
        ),
        "sign": client.post(reverse("sheet_sign", args=[sheet.pk])),
        "audit": client.get(reverse("audit_list")),
    }
    assert {k: r.status_code for k, r in steps.items()} == {
        "superuser password": 404,
        "admin": 302,  # to the admin login: not staff
        "grant 党群部管理员": 403,
        "reopen": 404,
        "reassign": 404,
        "autosave": 404,
        "sign": 404,
        "audit": 403,
    }
    sheet.refresh_from_db()
    assert sheet.status == "signed" and sheet.entries.get(code="1.1").value == 1
    assert not Membership.objects.filter(user=sysadmin).exclude(role=Role.SYSADMIN).exists()


def test_sysadmin_still_manages_ordinary_accounts(client, tree, sysadmin, security_admin):
    """Accounts without a score-reading role: the 系统管理员's reset takes effect at once;
    a role for them is the 安全管理员's to grant."""
    person = make_user("300010", name="新员工")
    client.force_login(sysadmin)
    response = client.post(
        reverse("person_set_password", args=[person.pk]),
        {"password1": NEW, "password2": NEW},
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.check_password(NEW) and person.must_change_password
    grant = client.post(
        reverse("person_grant_role", args=[person.pk]),
        {"organization": tree.e2.pk, "role": Role.LEADER},
    )
    assert grant.status_code == 403
    assert not person.memberships.exists()
    client.force_login(security_admin)
    grant = client.post(
        reverse("person_grant_role", args=[person.pk]),
        {"organization": tree.e2.pk, "role": Role.LEADER},
    )
    assert grant.status_code == 302
    assert person.memberships.filter(role=Role.LEADER).exists()


def test_a_staff_account_that_is_not_a_superuser_cannot_use_the_admin(client, tree):
    """The admin edits is_superuser and grants every role: a staff flag (with model
    permissions) must not open it, or a 系统管理员 could escalate through such an account."""
    from django.contrib.auth.models import Permission

    staff = make_user("staff", is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label="branches"))
    client.force_login(staff)
    assert client.get(reverse("admin:index")).status_code == 302  # to the admin login
    made_superuser = client.post(
        reverse("admin:branches_user_change", args=[staff.pk]),
        {"username": "staff", "is_active": "on", "is_staff": "on", "is_superuser": "on"},
    )
    granted = client.post(
        reverse("admin:branches_membership_add"),
        {"user": staff.pk, "organization": tree.root.pk, "role": Role.SYSADMIN},
    )
    assert made_superuser.status_code == granted.status_code == 302
    staff.refresh_from_db()
    assert not staff.is_superuser and not staff.memberships.exists()
    assert "管理后台" not in client.get(reverse("password_change")).content.decode()


def test_the_menu_shows_each_administrator_only_their_pages(
    client, sysadmin, auditor, security_admin, dept_admin, secretary_a
):
    rectifications = reverse("rectification_list")
    audit = reverse("audit_list")
    people = reverse("people_list")
    resets = reverse("password_reset_list")
    menus = {}
    for user in (sysadmin, auditor, security_admin, dept_admin, secretary_a):
        client.force_login(user)
        page = client.get(reverse("home")).content.decode()
        menus[user.username] = tuple(
            f'href="{u}"' in page for u in (rectifications, audit, people, resets)
        )
    assert menus == {
        "sysadmin": (False, False, True, True),
        "auditor": (False, True, False, False),
        "security": (False, False, True, True),
        "dept": (True, False, False, False),
        "sec_a": (True, False, False, False),
    }
