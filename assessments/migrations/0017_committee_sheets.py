from django.conf import settings
from django.db import migrations, models


def restore_checklists(apps, schema_editor):
    """Before this migration a sheet was keyed on (stage, organization, assessor): when an
    enterprise 党委 drawn for cross-review went to the reviewer who also had its
    7-measures checklist, the checklist was never made. Give each such 党委 of a running
    campaign its checklist, for the same reviewer (a finished campaign stays as it was)."""
    ScoreSheet = apps.get_model("assessments", "ScoreSheet")
    Campaign = apps.get_model("assessments", "Campaign")
    for campaign in Campaign.objects.filter(status="open", committee_version__isnull=False):
        drawn = ScoreSheet.objects.filter(
            campaign=campaign,
            stage__assessed_by="cross_group",
            rubric_version_id=campaign.rubric_version_id,
            organization_id=models.F("organization__enterprise_id"),
        )
        for sheet in drawn:
            has_checklist = ScoreSheet.objects.filter(
                stage_id=sheet.stage_id,
                organization_id=sheet.organization_id,
                rubric_version_id=campaign.committee_version_id,
            ).exists()
            if not has_checklist:
                ScoreSheet.objects.create(
                    stage_id=sheet.stage_id,
                    campaign=campaign,
                    rubric_version_id=campaign.committee_version_id,
                    organization_id=sheet.organization_id,
                    assessor_id=sheet.assessor_id,
                )


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0016_one_problem_list"),
        ("branches", "0007_member"),
        ("rubrics", "0003_record_requirements"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="scoresheet",
            name="sheet_once_per_assessor",
        ),
        migrations.AddConstraint(
            model_name="scoresheet",
            constraint=models.UniqueConstraint(
                fields=("stage", "organization", "assessor", "rubric_version"),
                name="sheet_once_per_assessor_version",
            ),
        ),
        migrations.RunPython(restore_checklists, migrations.RunPython.noop),
    ]
