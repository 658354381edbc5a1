from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from branches import services
from branches.models import Organization, OrgKind
from branches.services import BranchesError
from tests.conftest import make_org


def test_paths_and_enterprise_follow_the_tree(tree):
    assert tree.a.path == f"/{tree.root.pk}/{tree.e1.pk}/{tree.g.pk}/{tree.a.pk}/"
    assert tree.a.enterprise == tree.e1
    assert tree.a1.enterprise == tree.e1
    assert tree.b.enterprise == tree.e2
    assert tree.root.enterprise == tree.root


def test_moving_a_subtree_moves_its_descendants(tree, dept_admin):
    services.update_organization(tree.g, by=dept_admin, data={"parent": tree.e2})
    a1 = Organization.objects.get(pk=tree.a1.pk)
    assert a1.path.startswith(f"/{tree.root.pk}/{tree.e2.pk}/{tree.g.pk}/")
    assert a1.enterprise_id == tree.e2.pk
    assert a1.depth == 4


def test_moving_under_own_descendant_is_a_cycle(tree, dept_admin):
    with pytest.raises(BranchesError, match="循环"):
        services.update_organization(tree.e1, by=dept_admin, data={"parent": tree.a})
    assert Organization.objects.get(pk=tree.e1.pk).parent == tree.root


@pytest.mark.parametrize(
    ("kind", "parent_attr", "ok"),
    [
        (OrgKind.BRANCH, "root", True),  # a 党支部 may sit directly under a 党委
        (OrgKind.BRANCH, "g", True),
        (OrgKind.BRANCH, "a", False),
        (OrgKind.GROUP, "a", True),
        (OrgKind.GROUP, "e1", False),
        (OrgKind.GENERAL_BRANCH, "g", False),
        (OrgKind.COMMITTEE, "root", True),
    ],
)
def test_which_kind_may_stand_under_which(tree, dept_admin, kind, parent_attr, ok):
    data = {"code": "NEW", "name": "新组织", "kind": kind, "parent": getattr(tree, parent_attr)}
    if ok:
        assert services.create_organization(by=dept_admin, data=data).pk
    else:
        with pytest.raises(BranchesError, match="上级只能是"):
            services.create_organization(by=dept_admin, data=data)


def test_branch_below_three_full_members_is_flagged_unless_joint(tree):
    small = make_org("S", OrgKind.BRANCH, tree.e1, full_members=2)
    joint = make_org("J", OrgKind.BRANCH, tree.e1, full_members=2, is_joint=True)
    assert small.below_minimum
    assert not joint.below_minimum
    assert not tree.a.below_minimum


def test_term_length_must_fit_the_kind(tree, dept_admin):
    with pytest.raises(BranchesError, match="每届任期应为 2 至 3 年"):
        services.update_organization(
            tree.a,
            by=dept_admin,
            data={"term_start": date(2024, 1, 1), "term_end": date(2029, 1, 1)},
        )
    services.update_organization(
        tree.a, by=dept_admin, data={"term_start": date(2024, 1, 1), "term_end": date(2027, 1, 1)}
    )
    with pytest.raises(BranchesError, match="3 至 5 年"):
        services.update_organization(
            tree.e1,
            by=dept_admin,
            data={"term_start": date(2024, 1, 1), "term_end": date(2026, 1, 1)},
        )


def test_database_refuses_what_the_rules_forbid(tree):
    for bad in ({"star_level": 6}, {"parent": None}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Organization.objects.filter(pk=tree.a.pk).update(**bad)
    with pytest.raises(IntegrityError), transaction.atomic():
        Organization.objects.filter(pk=tree.a.pk).update(parent=tree.a)


def test_scope_limits_where_an_admin_may_create(tree, dept_admin_e2):
    with pytest.raises(BranchesError, match="管理范围"):
        services.create_organization(
            by=dept_admin_e2,
            data={"code": "X", "name": "越权支部", "kind": OrgKind.BRANCH, "parent": tree.e1},
        )


def test_delete_refuses_an_organization_with_children(tree, dept_admin):
    with pytest.raises(BranchesError, match="下级组织"):
        services.delete_organization(tree.a, by=dept_admin)
    services.delete_organization(tree.a1, by=dept_admin)
    assert not Organization.objects.filter(pk=tree.a1.pk).exists()


def test_model_validation_messages_are_chinese(tree):
    org = Organization(code="A", name="重复", kind=OrgKind.BRANCH, parent=tree.e1)
    with pytest.raises(ValidationError) as info:
        org.full_clean()
    assert "编码" in str(info.value)


def _preorder(orgs) -> list[str]:
    """The tree's pre-order worked out from parents and codes alone: the order the tree
    page must follow (children by code), to check the stored key against."""
    children: dict = {}
    for o in orgs:
        children.setdefault(o.parent_id, []).append(o)
    order, stack = [], sorted(children.get(None, []), key=lambda o: o.code, reverse=True)
    while stack:
        node = stack.pop()
        order.append(node.code)
        stack.extend(sorted(children.get(node.pk, []), key=lambda o: o.code, reverse=True))
    return order


def test_the_tree_key_follows_new_codes_moves_and_imports(tree, dept_admin, client):
    from branches.importers import OrganizationImport
    from branches.selectors import tree_order, tree_rows

    # Created in an order unlike their codes; a code that is a prefix of a sibling's.
    for code in ("T-Z9", "T-A", "T-AB", "T-A-1"):
        services.create_organization(
            by=dept_admin,
            data={"code": code, "name": f"支部{code}", "kind": "branch", "parent": tree.g},
        )
    services.create_organization(
        by=dept_admin,
        data={
            "code": "T-A0",
            "name": "党小组",
            "kind": "group",
            "parent": Organization.objects.get(code="T-A"),
        },
    )
    services.update_organization(
        Organization.objects.get(code="T-Z9"), by=dept_admin, data={"code": "T-0Z"}
    )
    services.update_organization(tree.g, by=dept_admin, data={"parent": tree.e2})
    report = OrganizationImport(by=dept_admin, problems={}).run(
        ["编码", "名称", "类型", "上级编码"],
        [(2, ["T-AA", "支部AA", "党支部", tree.g.code])],
        dry_run=False,
    )
    assert report[0]["action"] != "error", report
    everyone = list(Organization.objects.all())
    shown = [o.code for o in tree_order(dept_admin)]
    assert [c for c in _preorder(everyone) if c in shown] == shown
    new = [c for c in shown if c.startswith("T-")]
    assert new == ["T-0Z", "T-A", "T-A0", "T-A-1", "T-AA", "T-AB"]
    # Levels count from the top of the department administrator's scope.
    rows = {r.org.code: r.level for r in tree_rows(dept_admin, tree_order(dept_admin))}
    assert rows["T-A0"] == rows["T-A"] + 1 == rows[tree.g.code] + 2


def test_a_subtree_by_range_is_the_subtree_by_prefix(tree, dept_admin):
    """``__subtree`` (a range on SQLite) and ``__keyprefix`` (a range everywhere) select
    exactly what ``__startswith`` does, for every organization's path and tree key,
    siblings whose numbers share digits too."""
    parent = tree.root
    for n in range(12):  # pks 1…12 after the tree's: "/1/7/" beside "/1/70/" is likely
        make_org(f"S{n:02d}", "branch", parent)
    for org in Organization.objects.all():
        for column, value in (("path", org.path), ("tree_key", org.tree_key)):
            by_range = set(Organization.objects.filter(**{f"{column}__subtree": value}))
            by_prefix = set(Organization.objects.filter(**{f"{column}__startswith": value}))
            assert by_range == by_prefix and org in by_range, (column, value)
        # A tree key's prefix as a range on either database: the same set again.
        by_key = set(Organization.objects.filter(tree_key__keyprefix=org.tree_key))
        assert by_key == set(Organization.objects.filter(tree_key__startswith=org.tree_key))


def test_an_unindexed_key_selects_what_the_key_does(tree):
    """``fk__unindexed`` (a planner hint on SQLite) is ``fk = value``: the same rows, on
    either database; on SQLite the column is written so that its index is not used."""
    from django.db import connection

    for org in Organization.objects.all():
        hinted = Organization.objects.filter(parent_id__unindexed=org.pk)
        assert set(hinted) == set(Organization.objects.filter(parent_id=org.pk))
    hinted = Organization.objects.filter(parent_id__unindexed=tree.root.pk)
    sql = str(hinted.order_by("tree_key").query)
    assert ('+"branches_organization"."parent_id"' in sql) == (connection.vendor == "sqlite")
    # A read in no order (a pager's count) keeps the index: it stops at its limit anyway.
    assert '+"branches_organization"."parent_id"' not in str(hinted.order_by().query)


def test_a_later_page_names_only_what_is_above_it_in_the_users_scope(tree, dept_admin_e2, client):
    """Page 2 of the tree for an administrator of 二公司 starts inside 乙党支部: 接上页
    names 二公司党委 and 乙党支部, not the group's 党委 above their scope (a 404 to them)."""
    from branches.views import TREE_PAGE_SIZE

    for n in range(TREE_PAGE_SIZE):
        make_org(f"B-{n:02d}", OrgKind.GROUP, tree.b, full_members=3)
    client.force_login(dept_admin_e2)
    html = client.get("/orgs/?page=2").content.decode()
    above = html.split('id="tree-above"', 1)[1].split("</tr>", 1)[0]
    assert tree.e2.name in above and tree.b.name in above
    assert tree.root.name not in above
    assert f"/orgs/{tree.root.pk}/" not in above


def test_the_export_and_the_parent_choices_follow_the_tree_order(tree, dept_admin, client):
    """The Excel export and the form's 上级组织 list the organizations as the tree page
    does (children by code), not by when they were created."""
    import io

    import openpyxl

    from branches.forms import OrganizationForm
    from branches.selectors import tree_order

    for code in ("E2-Z", "E2-A"):  # created in an order unlike their codes
        make_org(code, OrgKind.BRANCH, tree.e2, full_members=3)
    make_org("E0", OrgKind.COMMITTEE, tree.root)  # a later enterprise that sorts first
    shown = [o.code for o in tree_order(dept_admin)]
    client.force_login(dept_admin)
    sheet = openpyxl.load_workbook(io.BytesIO(client.get("/orgs/export.xlsx").content)).active
    column = [c.value for c in sheet[1]].index("编码")
    exported = [row[column] for row in sheet.iter_rows(min_row=2, values_only=True) if row[column]]
    assert exported == shown
    parents = [o.code for o in OrganizationForm(user=dept_admin).fields["parent"].queryset]
    assert parents == [c for c in shown if c in parents]
    assert parents.index("E0") < parents.index("E1") and parents.index("E2-A") < parents.index(
        "E2-Z"
    )
