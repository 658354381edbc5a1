"""Every account's password enters the history: before, an account made outside the app
(createsuperuser, create_user in a command, a fixture) had no row for its first password,
so after one change it could take that password back. Accounts with a usable password and
no history get their current password's hash as their first row."""

from django.db import migrations
from django.utils import timezone


def fill(apps, schema_editor):
    User = apps.get_model("branches", "User")
    PasswordHistory = apps.get_model("branches", "PasswordHistory")
    missing = User.objects.exclude(password="").exclude(password__startswith="!")
    missing = missing.filter(password_history__isnull=True)
    now = timezone.now()
    PasswordHistory.objects.bulk_create(
        PasswordHistory(user_id=pk, password=password, created_at=now)
        for pk, password in missing.values_list("pk", "password")
    )


class Migration(migrations.Migration):
    dependencies = [("branches", "0008_category_source")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
