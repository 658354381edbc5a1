"""The working mechanisms' services: bands at every boundary from the 亮牌
rubric's scales, the pairing's transitions with their event rows and refusals, the
inspection's inspector rule. The journeys drive the same through the pages."""

from datetime import date
from decimal import Decimal

import pytest

from assessments.mechanisms.services import inspection, pairing, posts
from assessments.models import Interview, PairingEvent, PairingStatus, PlanKind
from assessments.services.errors import AssessmentError
from branches.models import Member
from rubrics.models import RubricVersion
from rubrics.services import load_document, shipped_document
from tests.assessments.conftest import signed_pairing
from tests.conftest import make_user


@pytest.fixture
def plaque_rubric(db):
    load_document(shipped_document("xibei-2025"))


@pytest.fixture
def signed_pair(tree, dept_admin, secretary_a, plaque_rubric):
    return signed_pairing(tree, dept_admin, secretary_a)


@pytest.mark.parametrize(
    ("score", "band", "talk", "new_plan"),
    [
        ("100", "达标", False, False),
        ("80", "达标", False, False),
        ("79.5", "待改进", True, False),
        ("60", "待改进", True, False),
        ("59.5", "重新制定帮扶方案", True, True),
        ("0", "重新制定帮扶方案", True, True),
    ],
)
def test_pairing_score_bands(signed_pair, dept_admin, score, band, talk, new_plan):
    e = pairing.evaluate_pairing(
        signed_pair, by=dept_admin, year=2026, quarter=1, score=Decimal(score), note=""
    )
    assert e.band == band
    assert Interview.objects.filter(evaluation=e).exists() == talk
    assert signed_pair.plans.filter(kind=PlanKind.REPLAN).exists() == new_plan
    assert PairingEvent.objects.filter(pairing=signed_pair, action="季度评估").count() == 1


@pytest.mark.parametrize("score", ["100.01", "-1", "NaN"])
def test_pairing_score_out_of_range_is_refused(signed_pair, dept_admin, score):
    with pytest.raises(AssessmentError):
        pairing.evaluate_pairing(
            signed_pair, by=dept_admin, year=2026, quarter=1, score=Decimal(score), note=""
        )


def test_signing_takes_three_parties_once_each(tree, dept_admin, secretary_a, plaque_rubric):
    helper = make_user("helper2")
    p = pairing.create_pairing(
        by=dept_admin,
        organization=tree.a,
        supervisor=tree.e1,
        data={
            "helper_name": "甲",
            "helper_post": "部长",
            "helper": helper,
            "start": date(2026, 1, 1),
            "end": date(2026, 6, 30),
            "targets": "x",
        },
    )
    with pytest.raises(AssessmentError, match="生效中"):
        pairing.evaluate_pairing(p, by=dept_admin, year=2026, quarter=1, score=Decimal(90), note="")
    with pytest.raises(AssessmentError, match="签订生效后"):
        pairing.record_visit(p, by=helper, data={"on": date(2026, 1, 5), "content": "x"})
    p = pairing.sign_pairing(p, by=helper, party="a")
    assert p.status == PairingStatus.DRAFT
    with pytest.raises(AssessmentError, match="甲方已签字"):
        pairing.sign_pairing(p, by=helper, party="a")
    pairing.sign_pairing(p, by=secretary_a, party="b")
    p = pairing.sign_pairing(p, by=dept_admin, party="s")
    assert p.status == PairingStatus.ACTIVE and p.signed_by_b == "甲书记"
    events = list(p.events.values_list("action", "from_status", "to_status"))
    assert events[-1] == ("监督方签字", "draft", "active")


def test_acceptance_extends_once_with_an_urgent_plan_then_fails_with_a_talk(
    signed_pair, dept_admin
):
    p = pairing.accept_pairing(signed_pair, by=dept_admin, met=False, note="未全部实现")
    assert p.status == PairingStatus.EXTENDED and p.end == date(2026, 7, 30)
    assert p.plans.filter(kind=PlanKind.URGENT).exists()
    p = pairing.accept_pairing(p, by=dept_admin, met=False, note="仍未达标")
    assert p.status == PairingStatus.FAILED
    assert Interview.objects.filter(organization=p.organization, evaluation=None).exists()
    with pytest.raises(AssessmentError):
        pairing.accept_pairing(p, by=dept_admin, met=True, note="")


def test_acceptance_with_all_targets_met_passes(signed_pair, dept_admin):
    assert pairing.accept_pairing(signed_pair, by=dept_admin, met=True, note="").status == (
        PairingStatus.PASSED
    )


def test_inspectors_come_from_other_branches_one_or_two(tree, dept_admin, secretary_b):
    from tests.conftest import make_rubric

    version = make_rubric("checklist")[0]
    own = Member.objects.create(organization=tree.a, name="本支部", status="full", user=dept_admin)
    other = Member.objects.create(organization=tree.b, name="乙", status="full", user=secretary_b)
    no_login = Member.objects.create(organization=tree.b, name="丙", status="full")
    kwargs = dict(by=dept_admin, organization=tree.a, version=version, year=2026, quarter=1)
    kwargs["scheduled_on"] = date(2026, 3, 1)
    with pytest.raises(AssessmentError, match="不能检查本支部"):
        inspection.schedule_inspection(inspectors=[own], **kwargs)
    with pytest.raises(AssessmentError, match="没有系统账号"):
        inspection.schedule_inspection(inspectors=[no_login], **kwargs)
    with pytest.raises(AssessmentError, match="1 至 2 人"):
        inspection.schedule_inspection(inspectors=[], **kwargs)
    assert inspection.schedule_inspection(inspectors=[other], **kwargs).inspectors.count() == 1
    assert RubricVersion.objects.filter(pk=version.pk).exists()


@pytest.mark.parametrize(
    ("score", "band"),
    [
        ("100", "履职优秀"),
        ("85", "履职优秀"),
        ("84.5", "履职合格"),
        ("84.99", "履职合格"),
        ("60", "履职合格"),
        ("59.5", "履职不达标"),
        ("0", "履职不达标"),
    ],
)
def test_member_duty_bands(tree, secretary_a, plaque_rubric, score, band):
    member = Member.objects.create(organization=tree.a, name="党员", status="full")
    scored = posts.score_member(
        member, by=secretary_a, year=2026, month=1, score=Decimal(score), note=""
    )
    assert scored.band == band
    again = posts.score_member(
        member, by=secretary_a, year=2026, month=1, score=Decimal("90"), note="复核"
    )
    assert again.pk == scored.pk and again.band == "履职优秀"
