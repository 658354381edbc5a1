"""Migration 0016: the mechanisms' problem list (BranchItem) moves into the branch's one
list (RectificationItem), keeping its source, who verifies it, its status and notes."""

from datetime import date

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from assessments.mechanisms.services import inspection, pairing
from branches.models import Member
from tests.conftest import make_rubric, make_tree, make_user

BEFORE = [("assessments", "0015_consequence_effects")]
AFTER = [("assessments", "0016_one_problem_list")]


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return executor.loader.project_state(target).apps


@pytest.mark.django_db(transaction=True)
def test_branch_items_become_items_of_the_one_list():
    if not MigrationExecutor(connection).loader.graph.nodes:
        pytest.skip("迁移测试需要真实迁移：pytest --migrations " + __file__)
    tree = make_tree()
    dept = make_user("dept0016")
    helper = make_user("helper0016")
    inspector = make_user("inspector0016")
    member = Member.objects.create(organization=tree.b, name="检查员", user=inspector)
    [version, _] = make_rubric()
    p = pairing.create_pairing(
        by=dept,
        organization=tree.a,
        supervisor=tree.e1,
        data={
            "helper_name": "帮扶人",
            "helper_post": "部长",
            "helper": helper,
            "start": date(2026, 1, 1),
            "end": date(2026, 6, 30),
            "targets": "台账齐全",
        },
    )
    insp = inspection.schedule_inspection(
        by=dept,
        organization=tree.a,
        version=version,
        year=2026,
        quarter=1,
        scheduled_on=date(2026, 3, 1),
        inspectors=[member],
    )
    plan = p.plans.get(number=1)  # the plan a pairing starts with
    try:
        apps = _migrate(BEFORE)
        BranchItem = apps.get_model("assessments", "BranchItem")
        now = timezone.now()
        BranchItem.objects.create(
            organization_id=tree.a.pk, source="weakness", pairing_id=p.pk, problem="台账不全"
        )
        BranchItem.objects.create(
            organization_id=tree.a.pk,
            source="plan",
            pairing_id=p.pk,
            plan_id=plan.pk,
            code="方案1-1",
            problem="重建台账",
            deadline=date(2026, 2, 1),
            status="done",
            done_note="已重建",
        )
        BranchItem.objects.create(
            organization_id=tree.a.pk,
            source="inspection",
            inspection_id=insp.pk,
            code="1.1",
            problem="三会一课：记录不全",
            deadline=date(2026, 4, 1),
            status="verified",
            done_note="已补齐",
            verify_note="已核实",
            verified_by_id=inspector.pk,
            verified_at=now,
        )
        apps = _migrate(AFTER)
        Item = apps.get_model("assessments", "RectificationItem")
        Event = apps.get_model("assessments", "RectificationEvent")
        weakness = Item.objects.get(problem="台账不全")
        assert (weakness.source, weakness.pairing_id, weakness.plan_id) == ("pairing", p.pk, None)
        assert weakness.code == "短板1" and weakness.status == "open"
        assert weakness.deadline == date(2026, 6, 30)  # within the pairing's term
        assert weakness.result_id is None and weakness.campaign_id is None
        action = Item.objects.get(problem="重建台账")
        assert (action.status, action.measure, action.plan_id) == (
            "submitted",
            "已重建",
            plan.pk,
        )
        found = Item.objects.get(problem="三会一课：记录不全")
        assert (found.source, found.inspection_id, found.kind) == (
            "inspection",
            insp.pk,
            "deduction",
        )
        assert found.status == "closed" and found.closed_by_id == inspector.pk
        assert found.found_on == date(2026, 3, 1) and found.measure == "已补齐"
        event = Event.objects.get(item_id=found.pk)
        assert (event.to_status, event.note, event.actor_id) == ("closed", "已核实", inspector.pk)
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes("assessments"))
