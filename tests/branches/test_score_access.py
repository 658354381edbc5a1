"""Scores, grades and what they led to are read under one rule
(``branches.access.can_read_scores``): the branch's own secretary, and VIEW_RESULTS over it
(the department, leaders). The 系统管理员, the 审计员 and a reviewer as such see the
organization but not its results. Branch B of the matrix's tree has a signed, consolidated
不达标 result with a consequence."""

import pytest
from django.urls import reverse

from branches import access

# role → may read branch B's results
READS_B = {
    "outsider": False,
    "secretary_a": False,
    "secretary_b": True,
    "reviewer": False,
    "dept_admin": True,
    "leader": True,
    "sysadmin": False,
    "auditor": False,
    "security_admin": False,
    "superuser": True,
}

# role → the account reads or enters scores somewhere (``branches.access.reads_scores``):
# the accounts whose password the 系统管理员 cannot reset alone (三员分立).
READS_ANY = {
    "outsider": False,
    "secretary_a": True,
    "secretary_b": True,
    "reviewer": True,
    "dept_admin": True,
    "leader": True,
    "sysadmin": False,
    "auditor": False,
    "security_admin": False,
    "superuser": True,
}


@pytest.mark.parametrize(("role", "reads"), READS_ANY.items())
def test_who_reads_scores_for_every_role(matrix, role, reads):
    assert access.reads_scores(matrix.users[role]) is reads


def test_an_assessor_without_a_role_reads_scores(matrix):
    """A binding outside the role table (here: a score sheet's assessor) counts too."""
    from assessments.models import ScoreSheet
    from tests.conftest import make_user

    person = make_user("no_role")
    assert not access.reads_scores(person)
    ScoreSheet.objects.filter(pk=matrix.objects["sheet"][0]).update(assessor=person)
    assert access.reads_scores(person)


@pytest.mark.parametrize(("role", "allowed"), READS_B.items())
def test_the_rule_for_every_role(matrix, role, allowed):
    org = matrix.users["secretary_b"].memberships.get().organization
    assert access.can_read_scores(matrix.users[role], org) is allowed


@pytest.mark.parametrize(("role", "allowed"), READS_B.items())
def test_history_shows_the_grade_only_to_those_who_read_scores(matrix, role, allowed):
    url = reverse("branch_history", args=matrix.objects["b"])
    response = matrix.client(role).get(url)
    if allowed:
        assert response.status_code == 200
        assert "不达标" in response.content.decode()
    else:
        # Outside what they see: 404; they see the organization but not its results: 403.
        assert response.status_code in (403, 404)
        assert "不达标" not in response.content.decode()


@pytest.mark.parametrize(("role", "allowed"), READS_B.items())
def test_the_org_page_links_to_results_only_for_those_who_read_them(matrix, role, allowed):
    url = reverse("org_detail", args=matrix.objects["b"])
    response = matrix.client(role).get(url)
    if response.status_code == 404:
        assert not allowed
        return
    history = reverse("branch_history", args=matrix.objects["b"])
    assert (history in response.content.decode()) is allowed
