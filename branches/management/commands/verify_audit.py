"""`manage.py verify_audit`: walk the audit trail's hash chain and report the first
broken link (exit status 1), or that the chain is whole (exit status 0).

A row changed after it was written (by SQL, with the PostgreSQL trigger disabled, or on
SQLite) no longer matches its hash; a row deleted or inserted breaks the link to the row
after it. The report names the row as an operator finds it on the 审计日志 page.

The chain runs in seq order (the order the rows were committed, not their ids). After
old rows were archived and removed by `manage.py archive_audit --delete`, it starts from
the newest checkpoint that command recorded; after a removal by hand, give the archive's
last row: ``--after-seq`` its seq and ``--start-hash`` its row_hash. ``--archive FILE``
checks an archive file written by archive_audit instead of the database.
"""

from typing import cast

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from branches.models import AuditEntry
from branches.toolkit import audit_archive, audit_chain


class Command(BaseCommand):
    help = "核验审计记录的哈希链，报告第一处断裂（有断裂时退出码为 1）。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--after-seq",
            type=int,
            default=None,
            help="从此链上序号之后开始核验（已归档删除的最后一条记录的 seq；默认从最新归档点起）",
        )
        parser.add_argument(
            "--start-hash",
            default=audit_chain.GENESIS,
            help="该条记录的哈希（归档中最后一条记录的 row_hash）",
        )
        parser.add_argument("--archive", help="核验 archive_audit 写出的归档文件，而非数据库")

    def handle(self, *args, after_seq: int | None, start_hash: str, archive: str | None, **options):
        if archive:
            self._archive(archive)
            return
        if after_seq is None:
            after_seq, start_hash = audit_archive.start()
            if after_seq:
                self.stdout.write(f"自归档点（序号 {after_seq}，哈希 {start_hash}）起核验。")
        if after_seq < 0:
            raise CommandError("--after-seq 不能为负数。")
        walk = audit_chain.verify(AuditEntry, start_hash=start_hash, after_seq=after_seq)
        if walk.broken is None:
            if walk.count == 0:
                self.stdout.write("审计记录哈希链完整：没有需要核验的记录。")
                return
            self.stdout.write(
                f"审计记录哈希链完整：共核验 {walk.count} 条记录。\n"
                f"链尾：序号 {walk.last_seq}，编号 {walk.last_id}，哈希 {walk.last_hash}\n"
                "（请把链尾与备份、归档一并保存：日后核对时可发现末尾记录被删除。）"
            )
            return
        # The walk's rows are of the model it was given.
        row, position = cast(AuditEntry, walk.broken.row), walk.broken.position
        at = timezone.localtime(row.at).strftime("%Y-%m-%d %H:%M:%S")
        good = (
            f"此前 {position - 1} 条完好（至序号 {walk.last_seq}，编号 {walk.last_id}）。"
            if walk.last_id
            else "此前没有完好的记录。"
        )
        self.stderr.write(
            f"审计记录哈希链断裂：第 {position} 条记录（序号 {row.seq or '无'}，编号 {row.id}，"
            f"时间 {at}，"
            f"操作人 {row.actor_repr or '（空）'}，操作 {row.get_action_display()}，"
            f"对象 {row.model}「{row.object_repr}」）{walk.broken.reason}。\n"
            f"{good}请从备份核对这条记录，并查明数据库的写入来源。"
        )
        raise SystemExit(1)

    def _archive(self, path: str) -> None:
        try:
            p = audit_archive.verify_file(path)
        except audit_archive.ArchiveError as exc:
            self.stderr.write(f"归档文件核验未通过：{exc}")
            raise SystemExit(1) from None
        self.stdout.write(
            f"归档文件哈希链完整：共核验 {p.count} 条记录"
            f"（序号 {p.after_seq + 1}–{p.through_seq}）。\n"
            f"链尾：序号 {p.through_seq}，哈希 {p.last_hash}"
        )
