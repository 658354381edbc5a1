"""Consolidation is set-based and idempotent, and the engine's per-item facts are
stored once and read by the rectification list and the branch report."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments import reports, services
from assessments.models import BranchResult, ItemFact, RectificationItem
from tests.assessments.conftest import review_of

WRITES = ("INSERT", "UPDATE", "DELETE")


def writes(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(WRITES)]


def test_a_rerun_with_nothing_changed_writes_nothing(make_reviewed, tree, dept_admin):
    campaign = make_reviewed("rerun", {tree.a: {"1.1": "3", "1.2": "4"}})
    before = list(RectificationItem.objects.values_list("code", "problem", "status"))
    assert before and BranchResult.objects.filter(campaign=campaign).count() == 1
    with CaptureQueriesContext(connection) as queries:
        done = services.consolidate(campaign, by=dept_admin)
    assert writes(queries) == []
    assert done["results"] == 1 and done["rectifications"] == len(before)
    assert list(RectificationItem.objects.values_list("code", "problem", "status")) == before


def test_consolidation_statements_do_not_grow_with_branches(make_reviewed, tree, dept_admin):
    one = make_reviewed("one-branch", {tree.a: {"1.1": "3", "1.2": "4"}}, consolidate=False)
    with CaptureQueriesContext(connection) as small:
        services.consolidate(one, by=dept_admin)
    two = make_reviewed(
        "two-branches",
        {tree.a: {"1.1": "3", "1.2": "4"}, tree.b: {"1.1": "2", "1.2": "5"}},
        name="两个支部",
        consolidate=False,
    )
    with CaptureQueriesContext(connection) as large:
        services.consolidate(two, by=dept_admin)
    assert BranchResult.objects.filter(campaign=two).count() == 2
    assert len(large) == len(small)


def test_submission_and_sign_off_store_the_engines_facts(make_reviewed, tree):
    campaign = make_reviewed(
        "facts", {tree.a: {"1.1": "3", "1.2": "5"}}, notes={"1.1": "缺记录"}, consolidate=False
    )
    sheet = review_of(campaign, tree.a)
    facts = {f.code: f for f in ItemFact.objects.filter(sheet=sheet)}
    assert set(facts) == {"1.1", "1.2"}
    assert (facts["1.1"].got, facts["1.1"].max, facts["1.1"].lost) == (3, 5, 2)
    assert facts["1.2"].lost == 0
    assert facts["1.1"].reason.endswith("得分 3 / 5（缺记录）")


def test_rectification_list_and_report_read_the_stored_facts(make_reviewed, tree, dept_admin):
    campaign = make_reviewed("stored", {tree.a: {"1.1": "3", "1.2": "5"}}, consolidate=False)
    sheet = review_of(campaign, tree.a)
    # The facts are what the list and the report state: a fact reworded is what they show.
    ItemFact.objects.filter(sheet=sheet, code="1.1").update(reason="1.1 按存储的结果")
    services.consolidate(campaign, by=dept_admin)
    (item,) = RectificationItem.objects.filter(campaign=campaign)
    assert item.problem == "1.1 按存储的结果"
    ItemFact.objects.filter(sheet=sheet, code="1.1").update(note="存储的说明")
    deductions = reports.branch_context(sheet)["deductions"]
    assert [(d["code"], d["got"], d["max"], d["note"]) for d in deductions] == [
        ("1.1", 3, 5, "存储的说明")
    ]


def test_a_sheet_signed_again_lists_its_new_shortfalls(make_reviewed, tree, dept_admin, reviewer):
    # Reopened and re-signed with the same total and the same unmet ▲ item: the result is
    # unchanged, but another item now loses points; consolidating again lists it.
    campaign = make_reviewed("resigned", {tree.a: {"1.1": "3", "1.2": "5"}})
    sheet = review_of(campaign, tree.a)
    assert list(RectificationItem.objects.values_list("code", flat=True)) == ["1.1"]
    sheet = services.reopen_sheet(sheet, by=dept_admin, reason="抽查发现扣分项记错")
    services.save_entries(
        sheet, by=reviewer, revision=sheet.revision, values={"1.1": "4", "1.2": "4"}
    )
    sheet.refresh_from_db()
    services.submit_sheet(sheet, by=reviewer)
    services.sign_sheet(sheet, by=dept_admin)
    result = BranchResult.objects.values_list("total", "grade", "unmet_key_items")
    before = list(result)
    services.consolidate(campaign, by=dept_admin)
    assert list(result) == before  # its total, grade and unmet ▲ items stay as they were
    assert sorted(RectificationItem.objects.values_list("code", flat=True)) == ["1.1", "1.2"]
    with CaptureQueriesContext(connection) as queries:
        services.consolidate(campaign, by=dept_admin)
    assert writes(queries) == []


def test_a_rerating_does_not_hide_a_re_signed_sheets_shortfalls(
    make_reviewed, tree, dept_admin, reviewer
):
    # Re-signed with the same total, then re-rated (which saves the result) before anyone
    # consolidates: consolidating still lists the new deduction.
    campaign = make_reviewed("rerated", {tree.a: {"1.1": "3", "1.2": "5"}})
    sheet = services.reopen_sheet(review_of(campaign, tree.a), by=dept_admin, reason="记错")
    services.save_entries(
        sheet, by=reviewer, revision=sheet.revision, values={"1.1": "4", "1.2": "4"}
    )
    sheet.refresh_from_db()
    services.submit_sheet(sheet, by=reviewer)
    services.sign_sheet(sheet, by=dept_admin)
    result = BranchResult.objects.get(campaign=campaign)
    other = "达标" if result.grade != "达标" else "不达标"
    services.rerate(result, by=dept_admin, to_grade=other, reason="整改后改评")
    services.consolidate(campaign, by=dept_admin)
    assert sorted(RectificationItem.objects.values_list("code", flat=True)) == ["1.1", "1.2"]
