import json
from datetime import date, timedelta

import pytest
from django.utils import timezone

from assessments import services
from assessments.mechanisms.services import pairing
from branches.models import CrossReviewGroup, CrossReviewGroupMember, OrgKind, Role
from rubrics.models import GradeBand, Indicator, IndicatorKind, Rubric, RubricVersion, Section
from rubrics.services import FIXTURE_DIR
from tests.conftest import make_org, make_user, open_every_stage


def shipped_consequence_rules(code: str) -> dict:
    """The consequence rules of the shipped rubric whose code shares this one's prefix
    ("xining-test" → xining-2021's), so a small test rubric stands in for a document."""
    prefix = code.split("-")[0]
    for path in sorted(FIXTURE_DIR.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        if doc["code"].split("-")[0] == prefix:
            return doc.get("consequence_rules", {})
    return {}


def simple_version(code: str = "simple", consequence_rules: dict | None = None) -> RubricVersion:
    """A published points rubric: 1.1 (5, ▲), 1.2 (5), veto V1; 达标 ≥ 8; the consequence
    rules of the shipped rubric of the same prefix."""
    rubric = Rubric.objects.create(
        code=code, name="简易标准", issuer="党群部", source_document="测试", assesses=["branch"]
    )
    version = RubricVersion.objects.create(
        rubric=rubric,
        number=1,
        method="points",
        consequence_rules=shipped_consequence_rules(code)
        if consequence_rules is None
        else consequence_rules,
    )
    section = Section.objects.create(version=version, code="1", title="基本要求", points=10)
    Indicator.objects.create(
        version=version, section=section, code="1.1", text="三会一课", points=5, is_key=True
    )
    Indicator.objects.create(
        version=version, section=section, code="1.2", text="主题党日", points=5, position=1
    )
    Indicator.objects.create(
        version=version,
        section=section,
        code="V1",
        text="班子不团结",
        points=0,
        kind=IndicatorKind.VETO,
        position=2,
    )
    GradeBand.objects.create(version=version, label="达标", minimum=8, position=0)
    GradeBand.objects.create(
        version=version, label="不达标", minimum=None, passed=False, position=1
    )
    RubricVersion.objects.filter(pk=version.pk).update(
        status="published", published_at=timezone.now()
    )
    version.refresh_from_db()
    return version


@pytest.fixture
def version(db):
    return simple_version()


@pytest.fixture
def campaign(tree, dept_admin, secretary_a, secretary_b, version):
    """An open campaign (自查 → 督导 → 验收) over the whole tree; self sheets issued."""
    start = timezone.localdate() - timedelta(days=5)
    c = services.create_campaign(
        by=dept_admin,
        name="2026年度考评",
        version=version,
        scope=tree.root,
        year=2026,
        quarter=None,
        template="standardization",
        start=start,
    )
    open_every_stage(c)
    services.open_campaign(c, by=dept_admin)
    return c


def self_sheet(campaign, org):
    return campaign.sheets.get(stage__position=0, organization=org)


def fill(sheet, user, values, vetoes=None):
    return services.save_entries(
        sheet, by=user, revision=sheet.revision, values=values, vetoes=vetoes
    )


@pytest.fixture
def submitted_a(campaign, secretary_a):
    sheet = self_sheet(campaign, campaign.scope.__class__.objects.get(code="A"))
    fill(sheet, secretary_a, {"1.1": "5", "1.2": "4.5"})
    sheet.refresh_from_db()
    return services.submit_sheet(sheet, by=secretary_a)


def reviewed_campaign(
    tree,
    dept_admin,
    reviewer,
    code: str,
    scores=None,
    *,
    name: str = "2026年度考评",
    notes=None,
    consolidate: bool = True,
):
    """An open campaign over the tree (started 3 days ago) on `simple_version(code)`; the
    reviewer scores each branch of `scores` ({org: values}; default: branch A 1.1 = 4,
    1.2 = 5) at the 督导 stage, submits, the department admin signs; then consolidated
    unless told not to. Returns the campaign."""
    campaign = services.create_campaign(
        by=dept_admin,
        name=name,
        version=simple_version(code),
        scope=tree.root,
        year=2026,
        quarter=None,
        template="standardization",
        start=timezone.localdate() - timedelta(days=3),
    )
    open_every_stage(campaign)
    services.open_campaign(campaign, by=dept_admin)
    for org, values in (scores or {tree.a: {"1.1": "4", "1.2": "5"}}).items():
        (sheet,) = services.assign_reviewers(
            campaign.stages.get(position=1), by=dept_admin, reviewers=[reviewer], orgs=[org]
        )
        services.save_entries(
            sheet, by=reviewer, revision=sheet.revision, values=values, notes=notes
        )
        sheet.refresh_from_db()
        services.submit_sheet(sheet, by=reviewer)
        services.sign_sheet(sheet, by=dept_admin)
    if consolidate:
        services.consolidate(campaign, by=dept_admin)
    return campaign


def review_of(campaign, org):
    """The org's signed review (the 督导 stage's sheet)."""
    return campaign.sheets.get(stage__position=1, organization=org)


@pytest.fixture
def make_reviewed(tree, dept_admin, reviewer):
    """`make_reviewed(code, scores, name=…, notes=…, consolidate=…)`: see
    `reviewed_campaign`; the tree's department admin and reviewer do the work."""

    def make(code: str, scores=None, **options):
        return reviewed_campaign(tree, dept_admin, reviewer, code, scores, **options)

    return make


@pytest.fixture
def groups_tree(db):
    """Three enterprises in three cross-review groups, two branches each, a reviewer each."""
    root = make_org("R", OrgKind.COMMITTEE, name="集团党委")
    enterprises, reviewers = [], []
    for n in range(1, 4):
        enterprise = make_org(f"E{n}", OrgKind.COMMITTEE, root, name=f"企业{n}党委")
        enterprises.append(enterprise)
        for b in range(1, 4):
            make_org(
                f"E{n}-B{b}", OrgKind.BRANCH, enterprise, name=f"企业{n}第{b}支部", full_members=10
            )
        reviewers.append(make_user(f"kp{n}", (enterprise, Role.REVIEWER), name=f"考评员{n}"))
        group = CrossReviewGroup.objects.create(owner=root, name=f"第{n}组")
        CrossReviewGroupMember.objects.create(group=group, enterprise=enterprise)
    admin = make_user("dept", (root, Role.DEPT_ADMIN), name="党群部")
    return root, enterprises, reviewers, admin


__all__ = ["date"]


def signed_pairing(tree, admin, secretary):
    """A pairing of branch A (first half of 2026) with a new helper, signed by all three
    parties: under way."""
    helper = make_user("helper")
    p = pairing.create_pairing(
        by=admin,
        organization=tree.a,
        supervisor=tree.e1,
        data={
            "helper_name": "帮扶人",
            "helper_post": "党群部部长",
            "helper": helper,
            "start": date(2026, 1, 1),
            "end": date(2026, 6, 30),
            "targets": "台账齐全率 100%",
        },
    )
    pairing.sign_pairing(p, by=helper, party="a")
    pairing.sign_pairing(p, by=secretary, party="b")
    return pairing.sign_pairing(p, by=admin, party="s")
