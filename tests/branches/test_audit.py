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


def test_membership_and_user_changes_are_recorded(tree, sysadmin):
    person = services.create_user(by=sysadmin, username="300001", name="新人")
    grant = services.grant_role(by=sysadmin, user=person, organization=tree.a, role=Role.SECRETARY)
    services.set_password(person, by=sysadmin, password="Zhibu#2026x")
    grant_id = grant.pk
    services.revoke_role(grant, by=sysadmin)
    user_entries = entries("用户", person.pk)
    assert [e.action for e in user_entries] == ["create", "update"]
    assert user_entries[1].changes["password"]["new"] == "******（已修改）"
    assert "Zhibu" not in str(user_entries[1].changes)
    membership_entries = entries("角色授权", grant_id)
    assert [e.action for e in membership_entries] == ["create", "delete"]
    assert membership_entries[0].changes["role"]["new"] == "支部书记"
    assert all(e.actor == sysadmin for e in user_entries + membership_entries)


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
