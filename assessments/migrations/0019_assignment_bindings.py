from django.conf import settings
from django.db import migrations, models


def bind_existing(apps, schema_editor):
    """Each existing inspection keeps the logins its inspectors have today: the best
    record there is of who was assigned."""
    Inspection = apps.get_model("assessments", "Inspection")
    for inspection in Inspection.objects.prefetch_related("inspectors"):
        users = [m.user_id for m in inspection.inspectors.all() if m.user_id is not None]
        inspection.inspector_accounts.set(users)


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0018_document_register"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="inspection",
            name="inspector_accounts",
            field=models.ManyToManyField(
                blank=True,
                related_name="inspections_assigned",
                to=settings.AUTH_USER_MODEL,
                verbose_name="互查人员账号（安排时确定）",
            ),
        ),
        migrations.RunPython(bind_existing, migrations.RunPython.noop),
    ]
