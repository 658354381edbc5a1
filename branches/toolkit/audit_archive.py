"""Archiving the audit trail (`manage.py archive_audit`): entries older than the retention
period written to a JSON-lines file with their chain hashes, the file's chain verified, and
(only when asked) the archived entries removed from the database with a checkpoint that the
remaining chain continues from.

The archive is always a prefix of the chain (seq order): from the last checkpoint up to the
last entry before the first one on or after the cut-off date, so that what stays verifies
from the checkpoint. The newest entry on the chain always stays: new entries link to it.

The file: a header line, then one line per entry, in seq order::

    {"format": "kaoping-audit-archive/1", "before": "2026-01-01", "after_seq": 0,
     "start_hash": "", "through_seq": 812, "last_hash": "…", "count": 812}
    {"id": 1, "seq": 1, "at": "2025-03-02T01:02:03.000004+00:00", "actor_repr": "…", …,
     "prev_hash": "", "row_hash": "…"}
"""

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from types import SimpleNamespace

from django.db import connection, models, transaction
from django.utils import timezone

from . import audit, audit_chain

FORMAT = "kaoping-audit-archive/1"
FIELDS = [
    "id",
    "seq",
    "at",
    "actor_id",
    "actor_repr",
    "source",
    "action",
    "model",
    "object_id",
    "object_repr",
    "changes",
    "org_path",
    "ip",
    "prev_hash",
    "row_hash",
]


class ArchiveError(Exception):
    """Why nothing (more) was archived, in Chinese."""


@dataclass(frozen=True)
class Plan:
    """The entries to archive: seq ``after_seq`` + 1 … ``through_seq``."""

    before: date
    after_seq: int
    start_hash: str
    through_seq: int
    last_hash: str
    count: int


@dataclass(frozen=True)
class Archived:
    plan: Plan
    path: Path
    sha256: str
    deleted: int


def parse_cutoff(text: str, *, today: date | None = None) -> date:
    """The cut-off date (entries before it are archived): YYYY-MM-DD, and at least the
    retention period ago."""
    from ..models import AUDIT_RETENTION_DAYS

    try:
        before = date.fromisoformat(text.strip())
    except ValueError:
        raise ArchiveError(f"日期格式应为 YYYY-MM-DD，收到“{text[:40]}”。") from None
    latest = (today or timezone.localdate()) - timedelta(days=AUDIT_RETENTION_DAYS)
    if before > latest:
        raise ArchiveError(
            f"审计记录至少保存 {AUDIT_RETENTION_DAYS} 天（GB/T 22239-2019）："
            f"归档截止日期最晚为 {latest.isoformat()}，收到 {before.isoformat()}。"
        )
    return before


def latest_checkpoint():
    from ..models import AuditCheckpoint

    return AuditCheckpoint.objects.order_by("-through_seq").first()


def start() -> tuple[int, str]:
    """(seq, hash) the chain in the database starts after: the newest checkpoint's, or
    (0, GENESIS) when nothing was ever archived."""
    checkpoint = latest_checkpoint()
    if checkpoint is None:
        return 0, audit_chain.GENESIS
    return checkpoint.through_seq, checkpoint.last_hash


def plan(before: date) -> Plan | None:
    """What an archive up to ``before`` covers, or None if there is nothing to archive."""
    from ..models import AuditEntry

    after_seq, start_hash = start()
    linked = AuditEntry._base_manager.filter(seq__gt=after_seq)
    newest = linked.aggregate(m=models.Max("seq"))["m"]
    if newest is None:
        return None
    cutoff = timezone.make_aware(datetime.combine(before, time.min))
    first_kept = linked.filter(at__gte=cutoff).aggregate(m=models.Min("seq"))["m"]
    through = min(newest - 1, (first_kept - 1) if first_kept is not None else newest)
    if through <= after_seq:
        return None
    rows = linked.filter(seq__lte=through)
    count = rows.count()
    last_hash = rows.get(seq=through).row_hash
    return Plan(before, after_seq, start_hash, through, last_hash, count)


def _line(row) -> str:
    values = {name: getattr(row, name) for name in FIELDS}
    values["at"] = row.at.astimezone(UTC).isoformat()
    return json.dumps(values, ensure_ascii=False, sort_keys=True)


def _header(p: Plan) -> str:
    return json.dumps(
        {
            "format": FORMAT,
            "before": p.before.isoformat(),
            "after_seq": p.after_seq,
            "start_hash": p.start_hash,
            "through_seq": p.through_seq,
            "last_hash": p.last_hash,
            "count": p.count,
        },
        ensure_ascii=False,
        sort_keys=True,
    )


def _describe(row) -> str:
    return f"序号 {row.seq}，编号 {row.id}，对象 {row.model}「{row.object_repr}」"


def write(p: Plan, path: Path) -> None:
    """Write the plan's entries to a new file at ``path`` (never over an existing one),
    checking each link on the way: a broken chain writes no archive."""
    from ..models import AuditEntry

    rows = (
        AuditEntry._base_manager.filter(seq__gt=p.after_seq, seq__lte=p.through_seq)
        .order_by("seq")
        .iterator(chunk_size=2000)
    )
    try:
        handle = open(path, "x", encoding="utf-8")  # noqa: SIM115 (removed on failure below)
    except FileExistsError:
        raise ArchiveError(f"归档文件 {path} 已存在，不会覆盖。") from None
    except OSError as exc:
        raise ArchiveError(f"无法创建归档文件 {path}：{exc.strerror}。") from None
    try:
        with handle:
            handle.write(_header(p) + "\n")
            prev = p.start_hash
            for row in rows:
                if row.prev_hash != prev or (
                    audit_chain.link(prev, audit_chain.content_digest(row)) != row.row_hash
                ):
                    raise ArchiveError(
                        f"审计记录哈希链在（{_describe(row)}）处断裂，不能归档。"
                        "请先运行 manage.py verify_audit 查明原因。"
                    )
                handle.write(_line(row) + "\n")
                prev = row.row_hash
    except BaseException:
        os.unlink(path)
        raise


def verify_file(path: str | Path) -> Plan:
    """Read an archive back and check it: every entry's content matches its hash, each
    links to the one before from the header's start hash, and the count, the last seq and
    the last hash are the header's. Returns the header as a Plan; raises ArchiveError."""
    try:
        handle = open(path, encoding="utf-8")  # noqa: SIM115 (closed by the with below)
    except OSError as exc:
        raise ArchiveError(f"无法读取归档文件 {path}：{exc.strerror}。") from None
    with handle:
        try:
            header = json.loads(handle.readline())
            if header.get("format") != FORMAT:
                raise ValueError
            p = Plan(
                date.fromisoformat(header["before"]),
                int(header["after_seq"]),
                str(header["start_hash"]),
                int(header["through_seq"]),
                str(header["last_hash"]),
                int(header["count"]),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            raise ArchiveError(f"{path} 不是本系统的审计记录归档文件。") from None
        prev, seq, count = p.start_hash, p.after_seq, 0
        for number, line in enumerate(handle, start=2):
            try:
                values = json.loads(line)
                row = SimpleNamespace(**values)
                row.at = datetime.fromisoformat(values["at"])
            except (ValueError, KeyError, TypeError):
                raise ArchiveError(f"归档文件第 {number} 行无法读取。") from None
            count += 1
            if row.seq is None or row.seq <= seq or row.prev_hash != prev:
                raise ArchiveError(
                    f"归档文件第 {number} 行（{_describe(row)}）与前一条记录的链接断开。"
                )
            if audit_chain.link(prev, audit_chain.content_digest(row)) != row.row_hash:
                raise ArchiveError(
                    f"归档文件第 {number} 行（{_describe(row)}）内容与其哈希不符：写入后被修改过。"
                )
            prev, seq = row.row_hash, row.seq
    if (count, seq, prev) != (p.count, p.through_seq, p.last_hash):
        raise ArchiveError(
            f"归档文件不完整：应有 {p.count} 条（至序号 {p.through_seq}），"
            f"实有 {count} 条（至序号 {seq}）。"
        )
    return p


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _record(p: Plan, path: Path, sha256: str, *, deleted: bool) -> None:
    from ..models import AuditAction, AuditEntry

    where = "并已从数据库移出" if deleted else "（仍保留在数据库中）"
    ctx = audit.current()
    AuditEntry.objects.create(
        actor=None,
        actor_repr="系统",
        source=ctx.source,
        action=AuditAction.EXPORT,
        model=str(AuditEntry._meta.verbose_name),
        object_id="",
        object_repr=f"审计记录归档：序号 {p.after_seq + 1}–{p.through_seq}"[:200],
        changes={
            "archive": {
                "label": "归档",
                "old": None,
                "new": (
                    f"{p.before.isoformat()} 之前的 {p.count} 条记录已写入 {path.name}"
                    f"（SHA-256 {sha256}）{where}；链尾哈希 {p.last_hash}"
                ),
            }
        },
        org_path="",
        ip=None,
    )


def archive(*, before: date, output: Path, delete: bool = False) -> Archived | None:
    """Archive the entries before ``before`` to ``output`` (None: nothing to archive);
    with ``delete``, remove them from the database in one transaction with the checkpoint
    the remaining chain continues from. Each run is itself recorded in the audit trail."""
    from ..models import AuditCheckpoint, AuditEntry

    p = plan(before)
    if p is None:
        return None
    write(p, output)
    try:
        if verify_file(output) != p:
            raise ArchiveError("归档文件与计划不符。")
    except ArchiveError:
        os.unlink(output)
        raise
    sha256 = _sha256(output)
    deleted = 0
    with transaction.atomic():
        if delete:
            if start() != (p.after_seq, p.start_hash):
                raise ArchiveError("归档期间已有其他归档完成，请重新运行。")
            archived = AuditEntry._base_manager.filter(seq__gt=p.after_seq, seq__lte=p.through_seq)
            if (
                archived.count() != p.count
                or archived.get(seq=p.through_seq).row_hash != p.last_hash
            ):
                raise ArchiveError("归档期间审计记录发生了变化，未移出任何记录，请重新运行。")
            AuditCheckpoint.objects.create(
                through_seq=p.through_seq,
                last_hash=p.last_hash,
                count=p.count,
                before=p.before,
                file_name=output.name[:255],
                file_sha256=sha256,
            )
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    cursor.execute(
                        "SELECT set_config(%s, 'on', true)", [audit_chain.ARCHIVE_SETTING]
                    )
                cursor.execute(
                    f"DELETE FROM {audit_chain.TABLE} WHERE seq > %s AND seq <= %s",
                    [p.after_seq, p.through_seq],
                )
                deleted = cursor.rowcount
                if connection.vendor == "postgresql":
                    cursor.execute(
                        "SELECT set_config(%s, 'off', true)", [audit_chain.ARCHIVE_SETTING]
                    )
            if deleted != p.count:
                raise ArchiveError("移出的记录数与归档条数不符，已全部撤销。")
        _record(p, output, sha256, deleted=delete)
    return Archived(p, output, sha256, deleted)
