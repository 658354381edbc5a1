"""The sign-off digest computed by the database (consolidation checks every source sheet
without reading its entries into Python) equals the Python reference
``sheet_digest`` on awkward content, and still catches a tampered sheet. Run on SQLite and
on PostgreSQL (DATABASE_URL)."""

import pytest

from assessments import services
from assessments.models import ScoreSheet, SheetEntry, VetoFinding
from assessments.services.sheets import (
    database_content_hashes,
    server_digests,
    sheet_content_hash,
    sheet_digest,
)
from tests.assessments.conftest import review_of

AWKWARD = 'quote " backslash \\ tab\t newline\n cr\r bell\x07 ctrl\x1f del\x7f 中文“全角” é 😀'


@pytest.fixture
def signed(make_reviewed, tree):
    return review_of(make_reviewed("digest-sql", consolidate=False), tree.a)


def digests(sheet):
    return {
        pk: (recorded, actual)
        for pk, _, recorded, actual in server_digests(ScoreSheet.objects.filter(pk=sheet.pk))
    }[sheet.pk]


def test_server_digest_of_an_untouched_sheet_is_the_recorded_one(signed):
    recorded, actual = digests(signed)
    assert actual == recorded == sheet_digest(signed)


def awkward(signed) -> ScoreSheet:
    """Written directly, as data could be: every character class the JSON encoder escapes,
    non-ASCII, an empty score, codes whose code-point order differs from a locale's."""
    SheetEntry.objects.filter(sheet=signed).update(note=AWKWARD)
    SheetEntry.objects.bulk_create(
        [
            SheetEntry(sheet=signed, code=code, value=value, note=note)
            for code, value, note in [
                ("a9", None, ""),
                ("B10", "0.125", "x"),
                ("一", "-1.5", AWKWARD),
                ("Z", "100", '\\"'),
            ]
        ]
    )
    VetoFinding.objects.bulk_create(
        [
            VetoFinding(sheet=signed, code="★b", facts=AWKWARD),
            VetoFinding(sheet=signed, code="★A", facts="事实"),
        ]
    )
    ScoreSheet.objects.filter(pk=signed.pk).update(note=AWKWARD, grade='优"秀\\', total="12.340")
    return ScoreSheet.objects.get(pk=signed.pk)


def test_server_digest_equals_the_python_reference_on_awkward_content(signed):
    sheet = awkward(signed)
    recorded, actual = digests(sheet)
    assert actual == sheet_digest(sheet) != recorded


def test_the_database_builds_the_reference_content_on_awkward_content(signed):
    # Without the Python reference that ``server_digests`` asks on SQLite when a seal
    # does not match: the SQL alone gives the same content hash.
    sheet = awkward(signed)
    [(pk, _, _, content_hash)] = database_content_hashes(ScoreSheet.objects.filter(pk=sheet.pk))
    assert (pk, content_hash) == (sheet.pk, sheet_content_hash(sheet))


def test_server_digest_catches_a_tampered_score(signed, dept_admin):
    SheetEntry.objects.filter(sheet=signed, code="1.2").update(value=1)
    recorded, actual = digests(signed)
    assert actual != recorded
    with pytest.raises(services.AssessmentError, match=f"（编号 {signed.pk}）"):
        services.check_signed(ScoreSheet.objects.filter(pk=signed.pk))
