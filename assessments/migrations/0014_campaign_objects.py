import django.db.models.deletion
from django.db import migrations, models


def _opened_at(campaign, AuditEntry):
    """When the campaign opened: its audited change of status to 进行中, else when it was
    created (a campaign opened without an audit trail)."""
    opened = (
        AuditEntry.objects.filter(
            model="考评活动", object_id=str(campaign.pk), changes__status__new="进行中"
        )
        .order_by("at")
        .values_list("at", flat=True)
        .first()
    )
    return opened or campaign.created_at


def fill_objects(apps, schema_editor):
    """The objects of campaigns opened before they were stored: the organizations in the
    campaign's scope and kinds now that existed when it opened (an organization created or
    imported since never enters it), and every organization it gave a score sheet on its
    rubric version or a result. Each with the enterprise it belongs to now (a move between
    the opening and this migration cannot be told apart)."""
    Campaign = apps.get_model("assessments", "Campaign")
    CampaignObject = apps.get_model("assessments", "CampaignObject")
    ScoreSheet = apps.get_model("assessments", "ScoreSheet")
    BranchResult = apps.get_model("assessments", "BranchResult")
    Organization = apps.get_model("branches", "Organization")
    AuditEntry = apps.get_model("branches", "AuditEntry")
    for campaign in Campaign.objects.exclude(status="draft").select_related("scope"):
        tree = Organization.objects.filter(
            path__startswith=campaign.scope.path,
            kind__in=campaign.kinds,
            created_at__lte=_opened_at(campaign, AuditEntry),
        ).exclude(pk=campaign.scope_id)
        sheets = ScoreSheet.objects.filter(
            campaign=campaign, rubric_version_id=campaign.rubric_version_id
        )
        results = BranchResult.objects.filter(campaign=campaign)
        ids = (
            set(tree.values_list("pk", flat=True))
            | set(sheets.values_list("organization_id", flat=True))
            | set(results.values_list("organization_id", flat=True))
        )
        facts = {
            pk: (enterprise_id, weak)
            for pk, enterprise_id, weak in Organization.objects.filter(pk__in=ids).values_list(
                "pk", "enterprise_id", "weak_and_lax"
            )
        }
        CampaignObject.objects.bulk_create(
            CampaignObject(
                campaign=campaign,
                organization_id=pk,
                enterprise_id=facts[pk][0],
                weak_and_lax=facts[pk][1],
            )
            for pk in sorted(ids)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0013_plaque_inputs"),
        ("branches", "0007_member"),
    ]

    operations = [
        migrations.CreateModel(
            name="CampaignObject",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "campaign",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="assessed",
                        to="assessments.campaign",
                        verbose_name="考评活动",
                    ),
                ),
                (
                    "weak_and_lax",
                    models.BooleanField(default=False, verbose_name="开始时软弱涣散"),
                ),
                (
                    "enterprise",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="branches.organization",
                        verbose_name="开始时所属企业",
                    ),
                ),
                (
                    "organization",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="branches.organization",
                        verbose_name="考评对象",
                    ),
                ),
            ],
            options={
                "verbose_name": "考评对象",
                "verbose_name_plural": "考评对象",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("campaign", "organization"), name="campaign_object_once"
                    )
                ],
            },
        ),
        migrations.RunPython(fill_objects, migrations.RunPython.noop),
    ]
