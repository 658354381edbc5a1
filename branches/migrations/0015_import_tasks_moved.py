"""The import tasks moved from ``branches.tasks`` into ``branches.importing`` (beside the
work they do): a task queued before the upgrade is pointed at its new path."""

from django.db import migrations

MOVED = {
    "branches.tasks.preview_import": "branches.importing.preview_import",
    "branches.tasks.apply_import_in_background": "branches.importing.apply_import_in_background",
}


def forwards(apps, schema_editor):
    results = apps.get_model("django_tasks_database", "DBTaskResult")
    for old, new in MOVED.items():
        results.objects.filter(task_path=old).update(task_path=new)


def backwards(apps, schema_editor):
    results = apps.get_model("django_tasks_database", "DBTaskResult")
    for old, new in MOVED.items():
        results.objects.filter(task_path=new).update(task_path=old)


class Migration(migrations.Migration):
    dependencies = [
        ("branches", "0014_password_reset_request"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
