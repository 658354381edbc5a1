"""Sign-off digests become keyed seals: HMAC-SHA256 (settings.SEAL_KEY, kept outside the
database) of the content's SHA-256, which until now was stored as it is.

Only a signed sheet whose stored digest still matches its content is sealed: a sheet that
already fails its check keeps its old digest and goes on failing. The sign event recording
that digest and the results drawn from the sheet (which hold a copy of it, to notice a sheet
signed again with other content) get the seal too, so nothing looks changed.
"""

from itertools import groupby
from operator import itemgetter

from django.db import migrations

from assessments.services.sheets import _content_hash
from branches.toolkit import seals

SIGNED = "signed"


def _content_hashes(apps, db, ids):
    ScoreSheet = apps.get_model("assessments", "ScoreSheet")
    SheetEntry = apps.get_model("assessments", "SheetEntry")
    VetoFinding = apps.get_model("assessments", "VetoFinding")
    entries = {
        sheet_id: [[code, str(value), note] for _, code, value, note in group]
        for sheet_id, group in groupby(
            SheetEntry.objects.using(db)
            .filter(sheet_id__in=ids)
            .order_by("sheet_id")
            .values_list("sheet_id", "code", "value", "note"),
            key=itemgetter(0),
        )
    }
    vetoes: dict[int, list] = {}
    for sheet_id, code, facts in (
        VetoFinding.objects.using(db).filter(sheet_id__in=ids).values_list("sheet_id", "code", "facts")
    ):
        vetoes.setdefault(sheet_id, []).append([code, facts])
    heads = (
        ScoreSheet.objects.using(db)
        .filter(pk__in=ids)
        .values_list(
            "pk",
            "organization__code",
            "stage_id",
            "rubric_version_id",
            "assessor__username",
            "total",
            "grade",
            "note",
            "digest",
        )
    )
    for pk, code, stage_id, version_id, username, total, grade, note, digest in heads:
        content_hash = _content_hash(
            pk=pk,
            organization_code=code,
            stage_id=stage_id,
            rubric_version_id=version_id,
            assessor_username=username,
            entries=entries.get(pk, []),
            vetoes=vetoes.get(pk, []),
            total=total,
            grade=grade,
            note=note,
        )
        yield pk, digest, content_hash


def _rewrite(apps, schema_editor, *, forwards: bool):
    ScoreSheet = apps.get_model("assessments", "ScoreSheet")
    SheetEvent = apps.get_model("assessments", "SheetEvent")
    BranchResult = apps.get_model("assessments", "BranchResult")
    db = schema_editor.connection.alias
    ids = list(
        ScoreSheet.objects.using(db)
        .filter(status=SIGNED)
        .exclude(digest="")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for start in range(0, len(ids), 500):
        for pk, digest, content_hash in _content_hashes(apps, db, ids[start : start + 500]):
            sealed = seals.seal(content_hash)
            # Only a sheet that passes its check now is rewritten: one that already fails
            # (changed, or never matched) keeps what it has and goes on failing.
            old, new = (content_hash, sealed) if forwards else (sealed, content_hash)
            if digest != old:
                continue
            ScoreSheet.objects.using(db).filter(pk=pk, digest=old).update(digest=new)
            SheetEvent.objects.using(db).filter(sheet_id=pk, digest=old).update(digest=new)
            BranchResult.objects.using(db).filter(source_sheet_id=pk, source_digest=old).update(
                source_digest=new
            )


def seal_signed_sheets(apps, schema_editor):
    _rewrite(apps, schema_editor, forwards=True)


def unseal_signed_sheets(apps, schema_editor):
    _rewrite(apps, schema_editor, forwards=False)


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0020_worker_heartbeat"),
    ]

    operations = [
        migrations.RunPython(seal_signed_sheets, unseal_signed_sheets, elidable=False),
    ]
