"""Sheet visibility and return rights follow the stage."""

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments import access, services
from assessments.models import RectificationItem, ScoreSheet, SheetStatus
from tests.assessments.conftest import fill, self_sheet


@pytest.fixture
def review_a(campaign, tree, submitted_a, reviewer):
    """The reviewer's stage-1 sheet of branch A, submitted."""
    stage = campaign.stages.get(position=1)
    (sheet,) = services.assign_reviewers(
        stage, by=campaign.created_by, reviewers=[reviewer], orgs=[tree.a]
    )
    fill(sheet, reviewer, {"1.1": "4", "1.2": "4"})
    sheet.refresh_from_db()
    return services.submit_sheet(sheet, by=reviewer)


URLS = ["sheet_detail", "sheet_xlsx", "sheet_report"]


@pytest.mark.parametrize("name", URLS)
def test_secretary_cannot_read_an_unsigned_review_of_their_branch(
    client, review_a, secretary_a, name
):
    client.force_login(secretary_a)
    assert client.get(reverse(name, args=[review_a.pk])).status_code == 403


@pytest.mark.parametrize("name", URLS)
def test_secretary_reads_the_review_once_signed(client, review_a, secretary_a, dept_admin, name):
    services.sign_sheet(review_a, by=dept_admin)
    client.force_login(secretary_a)
    assert client.get(reverse(name, args=[review_a.pk])).status_code == 200


def test_secretary_cannot_return_a_review_of_their_branch(client, review_a, secretary_a):
    client.force_login(secretary_a)
    response = client.post(reverse("sheet_return", args=[review_a.pk]), {"reason": "不服"})
    assert response.status_code == 403
    assert ScoreSheet.objects.get(pk=review_a.pk).status == SheetStatus.SUBMITTED
    assert not access.can_return(review_a, secretary_a)


def test_reviewer_and_department_return_the_review(review_a, reviewer, dept_admin, secretary_a):
    assert access.can_return(review_a, dept_admin)
    # The reviewer of this stage checks the branch's self-assessment …
    assert access.can_return(self_sheet(review_a.campaign, review_a.organization), reviewer)
    # … and a secretary holding only the self-assessment returns nothing.
    with pytest.raises(services.AssessmentError):
        services.return_sheet(review_a, by=secretary_a, reason="不服")


def test_rectification_scope_is_the_exact_pairs_scored(campaign, tree, review_a, reviewer):
    """The reviewer scored (campaign, A) and (other, B): (campaign, B) and (other, A) are out
    of scope (the old rule was the cross product of campaigns and organizations scored)."""
    from tests.assessments.conftest import simple_version

    other = services.create_campaign(
        by=campaign.created_by,
        name="另一次考评",
        version=simple_version("other"),
        scope=tree.root,
        year=2027,
        quarter=None,
        template="standardization",
        start=timezone.localdate(),
    )
    services.open_campaign(other, by=campaign.created_by)
    services.assign_reviewers(
        other.stages.get(position=1), by=campaign.created_by, reviewers=[reviewer], orgs=[tree.b]
    )
    in_scope = ScoreSheet.objects.filter(access.scored_pairs_q(reviewer), stage__position=0)
    assert {(s.campaign_id, s.organization_id) for s in in_scope} == {
        (campaign.pk, tree.a.pk),
        (other.pk, tree.b.pk),
    }
    assert RectificationItem.objects.filter(access.scored_pairs_q(reviewer)).count() == 0


def test_a_signed_review_shows_the_secretary_no_unsigned_review_beside_it(
    client, campaign, tree, review_a, secretary_a, dept_admin
):
    """Stage 1's review of A is submitted, not signed; stage 2's is signed: the secretary
    reads stage 2's without stage 1's column beside it (the department sees both)."""
    from tests.conftest import make_user

    other = make_user("kp_b", (tree.root, "reviewer"), name="第二考评员")
    (second,) = services.assign_reviewers(
        campaign.stages.get(position=2), by=dept_admin, reviewers=[other], orgs=[tree.a]
    )
    fill(second, other, {"1.1": "1", "1.2": "1"})
    second.refresh_from_db()
    services.submit_sheet(second, by=other)
    services.sign_sheet(second, by=dept_admin)
    client.force_login(secretary_a)
    page = client.get(reverse("sheet_detail", args=[second.pk])).content.decode()
    assert "第二考评员" in page and "考评员</div>" not in page
    client.force_login(dept_admin)
    page = client.get(reverse("sheet_detail", args=[second.pk])).content.decode()
    assert "考评员</div>" in page
