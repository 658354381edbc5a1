"""Audit archive checkpoints (`manage.py archive_audit --delete`): where the chain
continues after archived entries left the database. On PostgreSQL the append-only trigger
now admits the DELETE of entries covered by a checkpoint while the archive command's
transaction-local setting is on, and the checkpoints get their own append-only trigger."""

import django.utils.timezone
from django.db import migrations, models

from branches.toolkit import audit_chain


class PostgresSQL(migrations.RunSQL):
    """RunSQL on PostgreSQL only (SQLite has no append-only trigger)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):

    dependencies = [
        ('branches', '0011_security_admin_role'),
    ]

    operations = [
        migrations.CreateModel(
            name='AuditCheckpoint',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('through_seq', models.BigIntegerField(unique=True, verbose_name='归档至链上序号')),
                ('last_hash', models.CharField(max_length=64, verbose_name='该条记录哈希')),
                ('count', models.PositiveIntegerField(verbose_name='归档条数')),
                ('before', models.DateField(verbose_name='归档截止日期（不含）')),
                ('file_name', models.CharField(max_length=255, verbose_name='归档文件')),
                ('file_sha256', models.CharField(max_length=64, verbose_name='归档文件 SHA-256')),
                ('archived_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='归档时间')),
            ],
            options={
                'verbose_name': '审计记录归档点',
                'verbose_name_plural': '审计记录归档点',
                'ordering': ['-through_seq'],
                'constraints': [models.CheckConstraint(condition=models.Q(('through_seq__gte', 1), ('count__gte', 1)), name='audit_checkpoint_covers_entries')],
            },
        ),
        PostgresSQL(
            [audit_chain.POSTGRES_SQL, audit_chain.POSTGRES_CHECKPOINT_SQL],
            [
                f"DROP TRIGGER IF EXISTS {audit_chain.CHECKPOINTS}_append_only"
                f" ON {audit_chain.CHECKPOINTS}"
            ],
        ),
    ]
