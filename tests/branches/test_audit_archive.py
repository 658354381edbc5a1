"""`manage.py archive_audit`: entries older than the retention period (180 days) go to a
JSON-lines file with their chain hashes, the file's chain is verified, and only with
--delete do they leave the database, with a checkpoint `manage.py verify_audit` then
starts from. On PostgreSQL the append-only trigger admits that DELETE only inside the
command's transaction (its setting on) and only for entries a checkpoint covers. Run on
SQLite and on PostgreSQL (``DATABASE_URL``)."""

import io
import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, transaction
from django.utils import timezone

from branches.models import AuditCheckpoint, AuditEntry, AuditRetentionError
from branches.toolkit import audit_chain

from .test_audit_chain import _entry, only_postgres, sql, trigger_disabled, verify

pytestmark = pytest.mark.django_db
CUTOFF = (timezone.localdate() - timedelta(days=200)).isoformat()


def _rows(old: int = 4, recent: int = 2) -> list[AuditEntry]:
    """``old`` entries from about 300 days ago, then ``recent`` from 10 days ago."""
    now = timezone.now()
    AuditEntry.objects.bulk_create(
        [_entry(n, at=now - timedelta(days=300, minutes=-n)) for n in range(1, old + 1)]
        + [_entry(n, at=now - timedelta(days=10)) for n in range(old + 1, old + recent + 1)]
    )
    audit_chain.link_now()
    return list(AuditEntry.objects.order_by("seq"))


def archive(*args) -> str:
    out = io.StringIO()
    call_command("archive_audit", *args, stdout=out)
    audit_chain.link_now()
    return out.getvalue()


def lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_a_cut_off_within_180_days_or_malformed_is_refused(tmp_path):
    _rows()
    output = tmp_path / "audit.jsonl"
    recent = (timezone.localdate() - timedelta(days=179)).isoformat()
    latest = (timezone.localdate() - timedelta(days=180)).isoformat()
    with pytest.raises(CommandError, match=f"至少保存 180 天.*最晚为 {latest}"):
        archive("--before", recent, "--output", str(output))
    with pytest.raises(CommandError, match="日期格式应为 YYYY-MM-DD"):
        archive("--before", "2025-13-01", "--output", str(output))
    assert not output.exists()
    assert AuditEntry.objects.count() == 6 and not AuditCheckpoint.objects.exists()


def test_archive_writes_the_old_entries_with_their_hashes_and_keeps_them(tmp_path):
    rows = _rows()
    output = tmp_path / "audit.jsonl"
    out = archive("--before", CUTOFF, "--output", str(output))
    assert f"已归档 4 条审计记录（序号 {rows[0].seq}–{rows[3].seq}" in out
    assert "哈希链核验通过" in out and "记录仍保留在数据库中" in out
    header, *archived = lines(output)
    assert header["count"] == 4 and header["last_hash"] == rows[3].row_hash
    assert [(a["seq"], a["prev_hash"], a["row_hash"]) for a in archived] == [
        (r.seq, r.prev_hash, r.row_hash) for r in rows[:4]
    ]
    assert archived[1]["object_repr"] == "第2党支部"
    # Nothing left the database; the run itself is on the trail (and on the chain).
    assert AuditEntry.objects.filter(seq__lte=rows[3].seq).count() == 4
    record = AuditEntry.objects.order_by("-seq").first()
    assert record.action == "export" and "审计记录归档" in record.object_repr
    assert "仍保留在数据库中" in str(record.changes) and record.source == "command"
    code, out, _ = verify()
    assert code == 0 and "共核验 7 条记录" in out
    code, out, _ = verify("--archive", str(output))
    assert code == 0 and "归档文件哈希链完整：共核验 4 条记录" in out
    # The file is never overwritten.
    with pytest.raises(CommandError, match="已存在，不会覆盖"):
        archive("--before", CUTOFF, "--output", str(output))


def test_delete_removes_the_archived_entries_and_verify_starts_from_the_checkpoint(tmp_path):
    rows = _rows()
    out = archive("--before", CUTOFF, "--output", str(tmp_path / "a1.jsonl"), "--delete")
    assert "已从数据库移出 4 条，并记录归档点" in out
    assert not AuditEntry.objects.filter(seq__lte=rows[3].seq).exists()
    checkpoint = AuditCheckpoint.objects.get()
    assert (checkpoint.through_seq, checkpoint.last_hash, checkpoint.count) == (
        rows[3].seq,
        rows[3].row_hash,
        4,
    )
    assert "并已从数据库移出" in str(AuditEntry.objects.order_by("-seq").first().changes)
    code, out, err = verify()
    assert code == 0, err
    assert f"自归档点（序号 {rows[3].seq}，哈希 {rows[3].row_hash}）起核验" in out
    assert "共核验 3 条记录" in out  # the two recent entries and the archive's own record
    # The checkpoint is append-only like the entries.
    with pytest.raises(AuditRetentionError):
        checkpoint.delete()

    # A change by SQL after the archive is still caught, from the checkpoint on.
    with trigger_disabled():
        sql(f"UPDATE {audit_chain.TABLE} SET object_repr = '篡改' WHERE seq = %s", [rows[4].seq])
    code, _, err = verify()
    assert code == 1 and "对象 组织「篡改」）内容与其哈希不符" in err


def test_the_newest_entry_stays_and_a_second_archive_continues_the_first(tmp_path):
    rows = _rows(old=3, recent=0)
    archive("--before", CUTOFF, "--output", str(tmp_path / "a1.jsonl"), "--delete")
    # All three were old; the newest stays in the database (new entries link to it).
    assert list(AuditEntry.objects.filter(seq__lte=rows[-1].seq).values_list("seq", flat=True)) == [
        rows[-1].seq
    ]
    out = archive("--before", CUTOFF, "--output", str(tmp_path / "a2.jsonl"), "--delete")
    assert "已归档 1 条审计记录" in out
    assert AuditCheckpoint.objects.count() == 2
    second = lines(tmp_path / "a2.jsonl")[0]
    first = lines(tmp_path / "a1.jsonl")[0]
    assert (second["after_seq"], second["start_hash"]) == (
        first["through_seq"],
        first["last_hash"],
    )
    assert verify()[0] == 0
    nothing = archive("--before", CUTOFF, "--output", str(tmp_path / "a3.jsonl"))
    assert "没有可归档的审计记录" in nothing and not (tmp_path / "a3.jsonl").exists()


def test_a_broken_chain_is_not_archived(tmp_path):
    rows = _rows()
    with trigger_disabled():
        sql(f"UPDATE {audit_chain.TABLE} SET object_repr = '篡改' WHERE seq = %s", [rows[1].seq])
    output = tmp_path / "audit.jsonl"
    with pytest.raises(CommandError, match=f"在（序号 {rows[1].seq}，.*）处断裂，不能归档"):
        archive("--before", CUTOFF, "--output", str(output), "--delete")
    assert not output.exists() and not AuditCheckpoint.objects.exists()
    assert AuditEntry.objects.count() == 6


def test_a_changed_archive_file_fails_its_check(tmp_path):
    _rows()
    output = tmp_path / "audit.jsonl"
    archive("--before", CUTOFF, "--output", str(output))
    text = output.read_text(encoding="utf-8").replace("第2党支部", "第9党支部")
    output.write_text(text, encoding="utf-8")
    code, _, err = verify("--archive", str(output))
    assert code == 1 and "归档文件第 3 行" in err and "内容与其哈希不符" in err


@only_postgres
def test_postgres_admits_the_delete_only_with_the_setting_and_a_checkpoint(tmp_path):
    rows = _rows()
    delete = f"DELETE FROM {audit_chain.TABLE} WHERE seq = %s"
    setting = f"SELECT set_config('{audit_chain.ARCHIVE_SETTING}', 'on', true)"
    # The setting alone (no checkpoint covers the entry): refused.
    with pytest.raises(DatabaseError, match="审计记录只能新增"), transaction.atomic():
        sql(setting, [])
        sql(delete, [rows[0].seq])
    archive("--before", CUTOFF, "--output", str(tmp_path / "a.jsonl"))  # no --delete
    AuditCheckpoint.objects.create(
        through_seq=rows[1].seq, last_hash=rows[1].row_hash, count=2, before="2025-01-01"
    )
    # A checkpoint without the setting: refused; beyond the checkpoint: refused.
    with pytest.raises(DatabaseError, match="审计记录只能新增"), transaction.atomic():
        sql(delete, [rows[0].seq])
    with pytest.raises(DatabaseError, match="审计记录只能新增"), transaction.atomic():
        sql(setting, [])
        sql(delete, [rows[2].seq])
    # Checkpoints cannot be changed or removed by SQL either.
    with pytest.raises(DatabaseError, match="归档点只能新增"), transaction.atomic():
        sql(f"DELETE FROM {audit_chain.CHECKPOINTS}", [])
    assert AuditEntry.objects.count() == 7
