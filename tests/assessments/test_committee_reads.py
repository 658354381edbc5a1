"""The 7 measures of each enterprise 党委 (assessments/committee.py): its own sheet beside a
branch sheet of the same reviewer, and one read of the signed checklists in a number of
queries that does not grow with them."""

from datetime import timedelta
from decimal import Decimal

from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments import services
from assessments.committee import committee_measures
from assessments.models import ScoreSheet
from rubrics.models import RubricVersion
from tests.assessments.conftest import groups_tree, simple_version  # noqa: F401
from tests.conftest import open_every_stage


def _campaign(root, admin, version, kinds=None):
    campaign = services.create_campaign(
        by=admin,
        name="含7条措施",
        version=version,
        scope=root,
        year=2026,
        quarter=None,
        template="xining",
        start=timezone.localdate() - timedelta(days=60),
        committee_version=RubricVersion.objects.get(rubric__code="zzb-7-measures"),
        kinds=kinds,
    )
    open_every_stage(campaign)
    services.open_campaign(campaign, by=admin)
    services.draw_cross_review(campaign.stages.get(kind="cross"), by=admin, seed="7")
    return campaign


def test_a_drawn_committee_keeps_its_checklist_beside_its_branch_sheet(groups_tree):  # noqa: F811
    call_command("load_rubrics", verbosity=0)
    root, enterprises, _reviewers, admin = groups_tree
    version = simple_version()
    version.rubric.assesses = ["committee", "branch"]  # a rubric that scores 党委s too
    version.rubric.save()
    # Only the 党委s are assessed: each enterprise's one object, always drawn.
    campaign = _campaign(root, admin, version, kinds=["committee"])
    cross = campaign.stages.get(kind="cross")
    for enterprise in enterprises:
        sheets = ScoreSheet.objects.filter(stage=cross, organization=enterprise)
        codes = sorted(s.rubric_version.rubric.code for s in sheets)
        assert codes == ["simple", "zzb-7-measures"]
        assert len({s.assessor_id for s in sheets}) == 1  # the group's one reviewer


def test_the_signed_checklists_are_read_in_queries_that_do_not_grow(groups_tree):  # noqa: F811
    call_command("load_rubrics", verbosity=0)
    root, _enterprises, _reviewers, admin = groups_tree
    campaign = _campaign(root, admin, simple_version())
    checklists = list(
        ScoreSheet.objects.filter(campaign=campaign, rubric_version=campaign.committee_version)
    )
    assert len(checklists) == 3
    for n, sheet in enumerate(checklists):
        values = {str(code): "达标" for code in range(1, 8)}
        if n == 0:
            values |= {"2": "基本达标", "5": "未达标"}
        services.save_entries(
            sheet,
            by=sheet.assessor,
            revision=sheet.revision,
            values=values,
            notes={"5": "未开展过筛子"} if n == 0 else None,
        )
        sheet.refresh_from_db()
        services.submit_sheet(sheet, by=sheet.assessor)
        if n < 2:
            services.sign_sheet(sheet, by=admin)

    def read():
        with CaptureQueriesContext(connection) as queries:
            measures = committee_measures(campaign)
            rows = [(c.total, c.rate, c.levels_text, c.unmet_text) for c in measures.results]
        return measures, rows, len(queries)

    read()  # the checklist's rules are read once and kept
    measures, rows, count = read()
    assert measures.unsigned == 1 and len(rows) == 2
    services.sign_sheet(checklists[2], by=admin)
    more, rows, count_more = read()
    assert more.unsigned == 0 and len(rows) == 3
    assert count_more == count  # one read whatever the number of checklists
    first = next(c for c in measures.results if c.sheet.pk == checklists[0].pk)
    assert (first.total, first.max_total, first.rate) == (
        Decimal("5.5"),
        Decimal(7),
        Decimal("78.57"),
    )
    assert first.levels == (("达标", 5), ("基本达标", 1), ("未达标", 1))
    assert "5 由县级党委安排" in first.unmet_text and "未开展过筛子" in first.unmet_text


def test_the_migration_gives_a_running_campaigns_drawn_committee_its_lost_checklist(
    groups_tree,  # noqa: F811
):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("assessments.migrations.0017_committee_sheets")
    call_command("load_rubrics", verbosity=0)
    root, enterprises, _reviewers, admin = groups_tree
    version = simple_version()
    version.rubric.assesses = ["committee", "branch"]
    version.rubric.save()
    campaign = _campaign(root, admin, version, kinds=["committee"])
    checklists = ScoreSheet.objects.filter(rubric_version=campaign.committee_version)
    before = sorted(checklists.values_list("organization_id", "assessor_id"))
    checklists.delete()  # what the old key left: the branch sheet only
    migration.restore_checklists(apps, None)
    assert sorted(checklists.values_list("organization_id", "assessor_id")) == before
    migration.restore_checklists(apps, None)  # run again: nothing doubled
    assert checklists.count() == len(enterprises)
    # A finished campaign is history: left as it was.
    checklists.delete()
    campaign.status = "closed"
    campaign.save()
    migration.restore_checklists(apps, None)
    assert not checklists.exists()


def test_a_checklist_is_never_compared_with_the_self_assessment(groups_tree):  # noqa: F811
    from decimal import Decimal as D

    from branches.models import Role
    from tests.conftest import make_user

    call_command("load_rubrics", verbosity=0)
    root, enterprises, _reviewers, admin = groups_tree
    secretary = make_user("sec_e1", (enterprises[0], Role.SECRETARY))
    version = simple_version()
    version.rubric.assesses = ["committee", "branch"]
    version.rubric.save()
    campaign = services.create_campaign(
        by=admin,
        name="虚高",
        version=version,
        scope=root,
        year=2026,
        quarter=None,
        template="xining",
        start=timezone.localdate() - timedelta(days=60),
        committee_version=RubricVersion.objects.get(rubric__code="zzb-7-measures"),
        kinds=["committee"],
        threshold=D(1),
    )
    open_every_stage(campaign)
    services.open_campaign(campaign, by=admin)
    own = ScoreSheet.objects.get(campaign=campaign, organization=enterprises[0])
    services.save_entries(own, by=secretary, revision=own.revision, values={"1.1": "5", "1.2": "5"})
    own.refresh_from_db()
    services.submit_sheet(own, by=secretary)
    services.draw_cross_review(campaign.stages.get(kind="cross"), by=admin, seed="7")
    checklist = ScoreSheet.objects.get(
        organization=enterprises[0], rubric_version=campaign.committee_version
    )
    values = {str(code): "未达标" for code in range(1, 8)}
    services.save_entries(
        checklist, by=checklist.assessor, revision=checklist.revision, values=values
    )
    checklist.refresh_from_db()
    submitted = services.submit_sheet(checklist, by=checklist.assessor)
    assert submitted.total == 0 and submitted.inflated_self is False
