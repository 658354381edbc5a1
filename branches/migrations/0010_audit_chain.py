"""The audit trail as a hash chain, append-only on PostgreSQL, so that an entry changed or
deleted with plain SQL is found.

Adds seq / prev_hash / row_hash, chains every existing row in id order (seq 1, 2, 3 …,
the same hash as new rows get, branches.toolkit.audit_chain), then creates the triggers:
on PostgreSQL the deferred constraint trigger that links each new row as its transaction
commits and the one that refuses UPDATE and DELETE on the table (but for that linking);
on SQLite the one that links each new row as it is inserted (no append-only trigger
there). ``at`` is now set in Python (a default, not auto_now_add) so that the hash covers
it: no change in the database.
"""

import django.utils.timezone
from django.db import migrations, models

from branches.toolkit import audit_chain


class VendorSQL(migrations.RunSQL):
    """RunSQL on one database vendor only (the triggers differ: audit_chain.SQL)."""

    def __init__(self, vendor: str):
        self.vendor = vendor
        forwards, backwards = audit_chain.SQL[vendor]
        super().__init__(forwards, backwards)

    def deconstruct(self):
        return (self.__class__.__name__, [self.vendor], {})

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def chain_existing(apps, schema_editor):
    AuditEntry = apps.get_model("branches", "AuditEntry")
    db = schema_editor.connection.alias
    prev, batch = audit_chain.GENESIS, []
    rows = AuditEntry._base_manager.using(db).order_by("id").iterator(chunk_size=2000)
    for seq, row in enumerate(rows, start=1):
        row.seq = seq
        row.prev_hash = prev
        row.row_hash = prev = audit_chain.link(prev, audit_chain.content_digest(row))
        batch.append(row)
        if len(batch) == 2000:
            AuditEntry._base_manager.using(db).bulk_update(batch, ["seq", "prev_hash", "row_hash"])
            batch = []
    if batch:
        AuditEntry._base_manager.using(db).bulk_update(batch, ["seq", "prev_hash", "row_hash"])


class Migration(migrations.Migration):
    dependencies = [
        ("branches", "0009_initial_passwords_in_history"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditentry",
            name="at",
            field=models.DateTimeField(
                db_index=True,
                default=django.utils.timezone.now,
                editable=False,
                verbose_name="时间",
            ),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="seq",
            field=models.BigIntegerField(
                editable=False, null=True, unique=True, verbose_name="链上序号"
            ),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="prev_hash",
            field=models.CharField(
                blank=True, editable=False, max_length=64, verbose_name="前一条哈希"
            ),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="row_hash",
            field=models.CharField(
                blank=True, editable=False, max_length=64, verbose_name="本条哈希"
            ),
        ),
        migrations.RunPython(chain_existing, migrations.RunPython.noop),
        VendorSQL("postgresql"),
        VendorSQL("sqlite"),
    ]
