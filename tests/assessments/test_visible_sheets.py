"""``visible_sheets`` (one query, for the search) and ``can_view_sheet`` (one sheet, for
its pages) are the same rule: for every person and every sheet they agree, through the
sheet's life (draft, submitted, signed) and across stages."""

import pytest

from assessments import access, services
from assessments.models import ScoreSheet
from branches.models import Role
from tests.assessments.conftest import fill, self_sheet
from tests.conftest import make_superuser, make_user

PEOPLE = [
    "secretary_a",
    "secretary_b",
    "reviewer",
    "dept_admin",
    "dept_admin_e2",
    "leader",
    "sysadmin",
    "auditor",
    "security_admin",
    "outsider",
]


def _agree(users) -> None:
    sheets = list(ScoreSheet.objects.select_related(*access.SHEET_JOINS))
    for user in users:
        expected = {s.pk for s in sheets if access.can_view_sheet(user, s)}
        found = set(access.visible_sheets(user).values_list("pk", flat=True))
        assert found == expected, user.username


@pytest.fixture
def people(request, tree):
    users = [request.getfixturevalue(name) for name in PEOPLE]
    return [*users, make_superuser(), make_user("late", (tree.root, Role.REVIEWER))]


def test_the_query_and_the_rule_agree_through_a_campaign(
    campaign, tree, people, submitted_a, dept_admin
):
    reviewer = next(u for u in people if u.username == "reviewer")
    late = next(u for u in people if u.username == "late")
    first, second = campaign.stages.get(position=1), campaign.stages.get(position=2)
    (review_a,) = services.assign_reviewers(
        first, by=dept_admin, reviewers=[reviewer], orgs=[tree.a]
    )
    services.assign_reviewers(second, by=dept_admin, reviewers=[late], orgs=[tree.a, tree.b])
    _agree(people)  # drafts everywhere but A's self-assessment

    fill(review_a, reviewer, {"1.1": "4", "1.2": "4"})
    review_a.refresh_from_db()
    services.submit_sheet(review_a, by=reviewer)
    _agree(people)  # submitted, not signed: A's secretary still does not read it

    services.sign_sheet(ScoreSheet.objects.get(pk=review_a.pk), by=dept_admin)
    _agree(people)  # signed: A's secretary reads it; B's never
    secretary_a = next(u for u in people if u.username == "sec_a")
    assert set(access.visible_sheets(secretary_a)) == {
        self_sheet(campaign, tree.a),
        ScoreSheet.objects.get(pk=review_a.pk),
    }
