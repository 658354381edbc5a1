from decimal import Decimal

from django.db import migrations, models
from django.db.models import Avg, Count, F


def record_inputs(apps, schema_editor):
    """Composite results consolidated before were drawn from the signed instrument sheets
    alone: record those sheets' averages as their inputs, so a result is flagged 需重新汇总
    only when a mechanism's value (or another sheet) stands now."""
    BranchResult = apps.get_model("assessments", "BranchResult")
    ScoreSheet = apps.get_model("assessments", "ScoreSheet")
    campaigns = (
        BranchResult.objects.filter(campaign__rubric_version__method="composite")
        .values_list("campaign_id", flat=True)
        .distinct()
    )
    for campaign_id in list(campaigns):
        found: dict[int, dict] = {}
        rows = (
            ScoreSheet.objects.filter(
                campaign_id=campaign_id,
                status="signed",
                rubric_version_id=F("campaign__rubric_version_id"),
            )
            .exclude(stage__kind="self")
            .exclude(stage__instrument="")
            .filter(total__isnull=False)
            .order_by()
            .values("organization_id", "stage__instrument")
            .annotate(score=Avg("total"), n=Count("id"))
        )
        for row in rows:
            score = Decimal(str(row["score"])).quantize(Decimal("0.001")).normalize()
            found.setdefault(row["organization_id"], {})[row["stage__instrument"]] = {
                "score": f"{score:f}",
                "source": "考评表（人工录入）",
                "count": row["n"],
            }
        for result in BranchResult.objects.filter(campaign_id=campaign_id):
            if result.organization_id in found:
                result.inputs = found[result.organization_id]
                result.save(update_fields=["inputs"])


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0012_result_source_digest"),
    ]

    operations = [
        migrations.AddField(
            model_name="branchresult",
            name="inputs",
            field=models.JSONField(blank=True, default=dict, verbose_name="分项评分及来源"),
        ),
        migrations.RunPython(record_inputs, migrations.RunPython.noop),
    ]
