"""一支部一清单 at the service level: consolidation lists the shortfalls of every signed
review stage once, in the reviewer's words, names the stages that found each, and a re-run
with nothing changed writes nothing."""

from datetime import date

from assessments import selectors, services
from assessments.mechanisms.services import inspection
from assessments.models import BranchResult, Inspection, RectificationItem
from branches.models import Member, Role
from tests.assessments.test_results import signed, stage, xining  # noqa: F401 (fixture)
from tests.conftest import make_rubric, make_user


def test_a_full_review_shortfall_stays_listed_when_the_spot_check_is_the_result(
    xining,  # noqa: F811
    tree,
    dept_admin,
    reviewer,
):
    spotter = make_user("spotter", (tree.root, Role.REVIEWER))
    signed(
        stage(xining, "full"),
        tree.a,
        reviewer,
        dept_admin,
        {"1.1": "5", "1.2": "3.5"},
        notes={"1.2": "主题党日记录缺两次"},
    )
    signed(stage(xining, "spot"), tree.a, spotter, dept_admin, {"1.1": "4", "1.2": "3"})
    services.consolidate(xining, by=dept_admin)
    result = BranchResult.objects.get(campaign=xining, organization=tree.a)
    assert result.source_stage.kind == "spot"
    items = selectors.with_stages(RectificationItem.objects.filter(result=result))
    by_code = {i.code: i for i in items}
    assert set(by_code) == {"1.1", "1.2"}  # one line per item, whichever stages found it
    assert by_code["1.2"].problem == "主题党日记录缺两次"  # the note, though spot has none
    assert by_code["1.2"].stages == ["全面考评", "抽查点评"]
    assert by_code["1.1"].stages == ["抽查点评"]
    # Filtered by the stage that found it.
    full = selectors.rectification_list(dept_admin, source="stage-full")
    assert [i.code for i in full] == ["1.2"]
    before = list(RectificationItem.objects.values_list("pk", "problem", "status"))
    services.consolidate(xining, by=dept_admin)  # nothing changed: nothing written
    assert list(RectificationItem.objects.values_list("pk", "problem", "status")) == before


def test_an_inspection_problem_is_closed_by_its_inspector_and_ends_the_follow_up(
    tree, dept_admin, secretary_a, secretary_b
):
    [version, _] = make_rubric()
    member_b = Member.objects.create(organization=tree.b, name="乙党员", user=secretary_b)
    insp = inspection.schedule_inspection(
        by=dept_admin,
        organization=tree.a,
        version=version,
        year=2026,
        quarter=1,
        scheduled_on=date(2026, 3, 1),
        inspectors=[member_b],
    )
    insp = inspection.submit_inspection(
        insp,
        by=secretary_b,
        steps={
            "step_report": "听",
            "step_documents": "查",
            "step_site": "看",
            "step_members": "访",
        },
        scores={"1.1": 3, "P1": 5},
        marks={"1.1": "三会一课记录不全"},
        feedback={"problems": "记录不全"},
        deadline=date(2026, 4, 1),
    )
    [item] = RectificationItem.objects.filter(inspection=insp)
    assert item.source == "inspection" and item.result_id is None
    services.write_measure(item, by=secretary_a, measure="补齐记录", responsible="甲书记")
    services.submit_rectification(item, by=secretary_a)
    services.close_rectification(item, by=secretary_b, note="已核实")
    item.refresh_from_db()
    assert item.status == "closed" and item.closed_by == secretary_b
    assert Inspection.objects.get(pk=insp.pk).status == "followed_up"
    assert item.events.get(to_status="closed").actor == secretary_b
