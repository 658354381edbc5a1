from django.urls import reverse

from branches import services
from branches.models import AuditEntry, Membership, OrgKind, Role


def entries(model, object_id):
    return list(AuditEntry.objects.filter(model=model, object_id=str(object_id)).order_by("id"))


def test_organization_create_update_delete_are_recorded(tree, dept_admin):
    org = services.create_organization(
        by=dept_admin,
        data={
            "code": "N1",
            "name": "新支部",
            "kind": OrgKind.BRANCH,
            "parent": tree.e1,
            "full_members": 5,
        },
    )
    org_id = org.pk
    services.update_organization(org, by=dept_admin, data={"name": "新名字", "full_members": 7})
    services.delete_organization(org, by=dept_admin)
    created, updated, deleted = entries("党组织", org_id)
    assert (created.action, updated.action, deleted.action) == ("create", "update", "delete")
    assert all(e.actor == dept_admin for e in (created, updated, deleted))
    assert created.changes["kind"]["new"] == "党支部"
    assert created.changes["parent"]["new"] == "一公司党委"
    assert updated.changes == {
        "name": {"label": "名称", "old": "新支部", "new": "新名字"},
        "full_members": {"label": "正式党员数", "old": 5, "new": 7},
    }
    assert deleted.changes["name"]["old"] == "新名字"


def test_membership_and_user_changes_are_recorded(tree, sysadmin, security_admin):
    person = services.create_user(by=sysadmin, username="300001", name="新人")
    services.set_password(person, by=sysadmin, password="Zhibu#2026x")
    grant = services.grant_role(
        by=security_admin, user=person, organization=tree.a, role=Role.SECRETARY
    )
    grant_id = grant.pk
    services.revoke_role(grant, by=security_admin)
    user_entries = entries("用户", person.pk)
    assert [e.action for e in user_entries] == ["create", "update"]
    assert user_entries[1].changes["password"]["new"] == "******（已修改）"
    assert "Zhibu" not in str(user_entries[1].changes)
    membership_entries = entries("角色授权", grant_id)
    assert [e.action for e in membership_entries] == ["create", "delete"]
    assert membership_entries[0].changes["role"]["new"] == "支部书记"
    assert all(e.actor == sysadmin for e in user_entries)
    assert all(e.actor == security_admin for e in membership_entries)


def test_changes_through_the_admin_are_attributed(tree, superuser, client):
    client.force_login(superuser)
    url = reverse("admin:branches_membership_add")
    response = client.post(
        url, {"user": superuser.pk, "organization": tree.e1.pk, "role": Role.LEADER}
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(model="角色授权", action="create")
    assert entry.actor == superuser and entry.source == "admin"
    assert Membership.objects.filter(user=superuser, role=Role.LEADER).exists()


def test_audit_page_is_scoped(tree, dept_admin, auditor, client):
    from tests.conftest import make_user

    auditor_e2 = make_user("auditor_e2", (tree.e2, Role.AUDITOR))
    services.update_organization(tree.a, by=dept_admin, data={"name": "甲党支部（改）"})
    services.update_organization(tree.b, by=dept_admin, data={"name": "乙党支部（改）"})
    client.force_login(auditor_e2)
    page = client.get(reverse("audit_list")).content.decode()
    assert "乙党支部（改）" in page
    assert "甲党支部（改）" not in page
    client.force_login(auditor)
    page = client.get(reverse("audit_list")).content.decode()
    assert "甲党支部（改）" in page and "甲党支部</span> → 甲党支部（改）" in page


# -- logins and failed logins -----------------------------------------------------------------


def test_login_logout_and_failed_login_are_recorded(client, secretary_a, settings):
    from tests.conftest import PASSWORD

    client.post(reverse("login"), {"username": "sec_a", "password": "wrong"})
    client.post(reverse("login"), {"username": "nobody", "password": "x"})
    client.post(reverse("login"), {"username": "sec_a", "password": PASSWORD})
    client.post(reverse("logout"))
    failed, unknown, login, logout = AuditEntry.objects.filter(
        action__in=["login", "logout", "login_failed"]
    ).order_by("id")
    assert (failed.action, failed.get_action_display()) == ("login_failed", "登录失败")
    assert failed.actor is None and failed.actor_repr == "sec_a"
    assert failed.changes["reason"]["new"] == "密码错误"
    assert failed.ip == "127.0.0.1" and "wrong" not in str(failed.changes)
    assert unknown.changes["reason"]["new"] == "工号不存在"
    assert (login.action, login.actor, login.model) == ("login", secretary_a, "用户")
    assert login.ip == "127.0.0.1" and login.object_id == str(secretary_a.pk)
    assert (logout.action, logout.actor) == ("logout", secretary_a)


def test_a_locked_out_attempt_is_recorded_as_such(client, secretary_a, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        client.post(reverse("login"), {"username": "sec_a", "password": "wrong"})
    last = AuditEntry.objects.filter(action="login_failed").order_by("id").last()
    assert "锁定" in last.changes["reason"]["new"]


# -- retention: append-only --------------------------------------------------------------


def test_the_audit_trail_cannot_be_changed_or_deleted(tree, dept_admin):
    import pytest

    from branches.models import AuditRetentionError

    services.update_organization(tree.a, by=dept_admin, data={"name": "改名"})
    entry = AuditEntry.objects.get(model="党组织", action="update")
    with pytest.raises(AuditRetentionError, match="至少保存 180 天"):
        entry.delete()
    with pytest.raises(AuditRetentionError):
        AuditEntry.objects.all().delete()
    with pytest.raises(AuditRetentionError):
        AuditEntry.objects.filter(pk=entry.pk).update(object_repr="抹掉")
    entry.object_repr = "抹掉"
    with pytest.raises(AuditRetentionError):
        entry.save()
    assert AuditEntry.objects.get(pk=entry.pk).object_repr == "改名"


def test_the_admin_offers_no_way_to_delete_or_edit(superuser, client, tree, dept_admin):
    services.update_organization(tree.a, by=dept_admin, data={"name": "改名"})
    entry = AuditEntry.objects.get(model="党组织", action="update")
    client.force_login(superuser)
    delete = client.post(reverse("admin:branches_auditentry_delete", args=[entry.pk]))
    assert delete.status_code == 403
    listing = client.get(reverse("admin:branches_auditentry_changelist")).content.decode()
    assert "delete_selected" not in listing
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_deleting_an_account_keeps_its_entries(tree, superuser, secretary_a):
    services.update_organization(tree.a, by=secretary_a, data={"name": "改名"})
    secretary_a.memberships.all().delete()
    secretary_a.delete()
    entry = AuditEntry.objects.get(model="党组织", action="update")
    assert entry.actor is None and entry.actor_repr == "甲书记（sec_a）"


# -- the auditor's filter and export ---------------------------------------------------------


def _history(tree, dept_admin, sysadmin):
    """An organization change in E1, one in E2, an account created, a failed login."""
    from django.test import Client

    services.update_organization(tree.a, by=dept_admin, data={"name": "甲党支部（改）"})
    services.update_organization(tree.b, by=dept_admin, data={"name": "乙党支部（改）"})
    services.create_user(by=sysadmin, username="300200", name='=HYPERLINK("x")')
    Client().post(reverse("login"), {"username": "sec_a", "password": "wrong"})


def test_auditor_filters_by_time_actor_action_type_and_organization(
    tree, dept_admin, sysadmin, auditor, client
):
    from datetime import timedelta

    from django.utils import timezone

    _history(tree, dept_admin, sysadmin)
    client.force_login(auditor)
    today = timezone.localdate()

    def rows(**params):
        page = client.get(reverse("audit_list"), params)
        assert page.status_code == 200
        return [(e.model, e.object_repr) for e in page.context["page"]]

    assert rows(organization=tree.e1.pk, action="update") == [("党组织", "甲党支部（改）")]
    assert rows(actor="sysadmin") == [("用户", '=HYPERLINK("x")（300200）')]
    assert rows(action="login_failed") == [("用户", "sec_a")]
    assert {m for m, _ in rows(model="党组织")} == {"党组织"}
    assert len(rows(model="党组织", action="update", q="改")) == 2
    assert len(rows(start=today.isoformat(), end=today.isoformat(), action="update")) == 2
    assert rows(end=(today - timedelta(days=1)).isoformat()) == []
    assert rows(start=(today + timedelta(days=1)).isoformat()) == []
    page = client.get(reverse("audit_list"), {"start": "2026-02-01", "end": "2026-01-01"})
    assert "起始日期不能晚于截止日期" in page.content.decode()


def test_auditor_exports_the_filtered_trail_as_values(tree, dept_admin, sysadmin, auditor, client):
    import io

    import openpyxl

    _history(tree, dept_admin, sysadmin)
    client.force_login(auditor)
    response = client.get(reverse("audit_export"), {"model": "用户"})
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == (
        "时间",
        "操作人",
        "来源",
        "IP 地址",
        "操作",
        "对象类型",
        "对象编号",
        "对象",
        "变更（原 → 新）",
    )
    body = {(r[1], r[4], r[7]) for r in rows[1:]}
    assert {
        ("系统管理员（sysadmin）", "新增", '=HYPERLINK("x")（300200）'),
        ("sec_a", "登录失败", "sec_a"),
    } <= body
    assert {r[5] for r in rows[1:]} == {"用户"}
    assert "甲党支部（改）" not in str(rows)
    assert [r[3] for r in rows[1:] if r[4] == "登录失败"] == ["127.0.0.1"]
    assert not [c for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    assert any("原因：工号不存在" in (r[8] or "") for r in rows[1:])
    # The export itself is in the trail: who read it, with which filter.
    export = AuditEntry.objects.get(action="export")
    assert export.actor == auditor and export.changes["filters"]["new"] == "对象类型=用户"


def test_the_audit_page_reads_in_constant_queries(
    tree, dept_admin, auditor, client, django_assert_max_num_queries
):
    client.force_login(auditor)
    for n in range(30):
        services.update_organization(tree.a, by=dept_admin, data={"full_members": n + 20})
    with django_assert_max_num_queries(11):  # 10, and the header's unread notices count
        page = client.get(reverse("audit_list"), {"model": "党组织"})
    assert len(page.context["page"]) == 37  # 30 updates and the 7 organizations created
    page = client.get(reverse("home")).content.decode()
    assert reverse("audit_list") in page and "审计员" in page


def test_the_audit_page_reads_in_chinese_and_fits_a_phone(
    tree, sysadmin, secretary_b, auditor, client
):
    """Sources and yes/no values are Chinese, long change lists fold away, the table
    scrolls inside its own box; an export names its filters by their labels."""
    client.force_login(sysadmin)
    client.post(
        reverse("person_detail", args=[secretary_b.pk]),
        {"name": secretary_b.name, "email": "", "phone": ""},  # is_active unticked
    )
    client.force_login(auditor)
    page = client.get(reverse("audit_list"), {"model": "用户", "action": "update"})
    html = page.content.decode()
    assert '有效</strong>：<span class="diff-old">是</span> → 否' in html
    assert "网页 · 127.0.0.1" in html and ">web<" not in html
    assert '<div class="table-responsive">' in html and "text-break" in html
    assert 'class="form-select form-select-sm"' in html  # as small as the text boxes
    client.get(reverse("audit_export"), {"action": "update", "actor": "sysadmin"})
    export = AuditEntry.objects.get(action="export")
    assert export.changes["filters"]["new"] == "操作人=sysadmin；操作=修改"


def test_an_invalid_filter_is_named_not_silently_dropped(tree, dept_admin, auditor, client):
    services.update_organization(tree.a, by=dept_admin, data={"name": "甲党支部（改）"})
    client.force_login(auditor)
    page = client.get(reverse("audit_list"), {"start": "2026-13-01", "action": "update"})
    html = page.content.decode()
    assert "起始日期：输入一个有效的日期。（此条件未使用）" in html
    assert [e.object_repr for e in page.context["page"]] == ["甲党支部（改）"]


def test_the_page_and_the_export_show_an_empty_side_alike(tree, auditor, client):
    """A top-level organization's creation has no 上级组织: "（空）" on the page and in
    the export, never Python's "None"."""
    import io

    import openpyxl

    client.force_login(auditor)
    filters = {"model": "党组织", "action": "create", "q": tree.root.name}
    html = client.get(reverse("audit_list"), filters).content.decode()
    assert "上级组织</strong>：（空）" in html and "None" not in html
    book = openpyxl.load_workbook(io.BytesIO(client.get(reverse("audit_export"), filters).content))
    (row,) = list(book.worksheets[0].iter_rows(min_row=2, values_only=True))
    assert "上级组织：（空）" in row[8].split("\n")
