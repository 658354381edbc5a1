"""The roster's reads stay a fixed number of queries whatever its size, and its writes keep
the branch's counts. The pages themselves are driven in tests/journeys."""

from django.urls import reverse

from branches.models import Member, MemberStatus
from branches.roster import services


def test_roster_page_queries_do_not_grow_with_members(client, tree, secretary_a):
    client.force_login(secretary_a)
    url = reverse("member_list", args=[tree.a.pk])
    Member.objects.create(organization=tree.a, name="一", status=MemberStatus.FULL)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # the session's once-a-minute write happens here
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    Member.objects.bulk_create(
        Member(organization=tree.a, name=f"党员{i}", status=MemberStatus.FULL) for i in range(40)
    )
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)


def test_counts_follow_the_roster_once_it_has_members(tree, secretary_a):
    assert tree.a.full_members == 12  # entered on the organization, no roster yet
    m = services.add_member(tree.a, by=secretary_a, data={"name": "甲", "status": "full"})
    services.add_member(tree.a, by=secretary_a, data={"name": "乙", "status": "probationary"})
    tree.a.refresh_from_db()
    assert (tree.a.full_members, tree.a.probationary_members) == (1, 1)
    services.delete_member(m, by=secretary_a)
    tree.a.refresh_from_db()
    assert (tree.a.full_members, tree.a.probationary_members) == (0, 1)


def test_tree_import_cannot_change_the_counts_of_a_branch_with_a_roster(tree, dept_admin):
    from branches import importing
    from branches.models import ImportKind
    from tests.conftest import xlsx_bytes

    Member.objects.create(organization=tree.a, name="甲", status=MemberStatus.FULL)
    headers = ["编码", "名称", "类型", "上级编码", "正式党员数", "预备党员数"]
    rows = [["A", "甲党支部", "党支部", "G", 30, 0], ["B", "乙党支部", "党支部", "E2", 9, 1]]
    job = importing.start_import(
        by=dept_admin,
        kind=ImportKind.ORGANIZATIONS,
        filename="t.xlsx",
        content=xlsx_bytes(headers, rows),
    )
    by_row = {r["row"]: r for r in job.summary["rows"]}
    assert by_row[2]["action"] == "error"
    assert "党员人数按党员名册统计" in by_row[2]["errors"][0]
    assert by_row[3]["action"] == "update"  # no roster: the file sets the counts
