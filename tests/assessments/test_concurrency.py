"""Races on a real PostgreSQL: two sign-offs at once, two editors at once.

SQLite serializes every write, so these only mean something on PostgreSQL (`make test`
runs the suite there when DATABASE_URL is set, and CI always does)."""

import threading

import pytest
from django.db import connection

from assessments import services
from assessments.models import ScoreSheet, SheetEvent, SheetStatus
from branches.models import User
from tests.assessments.conftest import self_sheet

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks and races need PostgreSQL (set DATABASE_URL)",
    ),
]


def race(*calls):
    """Run the calls in threads released together; return (results, errors)."""
    barrier = threading.Barrier(len(calls))
    results, errors = [], []

    def run(call):
        try:
            barrier.wait(timeout=10)
            results.append(call())
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results, errors


def test_two_simultaneous_sign_offs_make_one_transition(submitted_a, dept_admin):
    other_admin = User.objects.get(pk=dept_admin.pk)
    results, errors = race(
        lambda: services.sign_sheet(ScoreSheet.objects.get(pk=submitted_a.pk), by=dept_admin),
        lambda: services.sign_sheet(ScoreSheet.objects.get(pk=submitted_a.pk), by=other_admin),
    )
    assert len(results) == 1 and len(errors) == 1
    assert isinstance(errors[0], services.AssessmentError)
    assert ScoreSheet.objects.get(pk=submitted_a.pk).status == SheetStatus.SIGNED
    assert SheetEvent.objects.filter(sheet=submitted_a, to_status="signed").count() == 1


def test_two_simultaneous_editors_give_one_conflict_and_lose_nothing(campaign, tree, secretary_a):
    sheet = self_sheet(campaign, tree.a)
    revision = sheet.revision

    def edit(value):
        return lambda: services.save_entries(
            ScoreSheet.objects.get(pk=sheet.pk),
            by=secretary_a,
            revision=revision,
            values={"1.1": value},
        )

    results, errors = race(edit("4"), edit("3"))
    assert len(results) == 1 and len(errors) == 1
    assert isinstance(errors[0], services.Conflict)  # the loser is told, not overwritten
    stored = ScoreSheet.objects.get(pk=sheet.pk)
    assert stored.revision == revision + 1
    assert stored.entries.get(code="1.1").value == results[0].result.total


def test_autosave_and_submit_at_once_store_a_total_equal_to_the_entries(
    campaign, tree, secretary_a, dept_admin
):
    """Each trial: the sheet holds 0 + 0; an autosave of 1.1 = 3 races the submit. Whichever
    wins, the submitted total equals what the entries hold (it once read 0 beside a 3)."""
    from decimal import Decimal

    sheet = self_sheet(campaign, tree.a)
    for trial in range(10):
        sheet.refresh_from_db()
        services.save_entries(
            sheet, by=secretary_a, revision=sheet.revision, values={"1.1": "0", "1.2": "0"}
        )
        sheet.refresh_from_db()
        revision = sheet.revision
        race(
            lambda revision=revision: services.save_entries(
                ScoreSheet.objects.get(pk=sheet.pk),
                by=secretary_a,
                revision=revision,
                values={"1.1": "3"},
            ),
            lambda: services.submit_sheet(ScoreSheet.objects.get(pk=sheet.pk), by=secretary_a),
        )
        stored = ScoreSheet.objects.get(pk=sheet.pk)
        assert stored.status == SheetStatus.SUBMITTED, f"trial {trial}"
        entries = sum((e.value for e in stored.entries.all()), Decimal(0))
        assert stored.total == entries, f"trial {trial}: total {stored.total}, entries {entries}"
        services.return_sheet(stored, by=dept_admin, reason=f"第 {trial} 次")
