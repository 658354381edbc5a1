"""`manage.py archive_audit --before YYYY-MM-DD --output FILE [--delete]`: write the audit
entries older than the cut-off (never one younger than the retention period, 180 days) to a
JSON-lines file with their chain hashes, verify the file's chain, and only with --delete
remove them from the database, recording the checkpoint the rest of the chain continues
from (`manage.py verify_audit` starts there). See branches/toolkit/audit_archive.py."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from branches.toolkit import audit
from branches.toolkit.audit_archive import ArchiveError, archive, parse_cutoff


class Command(BaseCommand):
    help = "把截止日期之前的审计记录（连同哈希链）归档到文件并核验；加 --delete 才从数据库移出。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--before",
            required=True,
            help="归档此日期（YYYY-MM-DD，不含当日）之前的记录；须早于今天 180 天以上",
        )
        parser.add_argument("--output", required=True, help="归档文件（JSON Lines，不会覆盖）")
        parser.add_argument(
            "--delete",
            action="store_true",
            help="归档并核验后，从数据库移出这些记录，并记录归档点",
        )

    def handle(self, *args, before: str, output: str, delete: bool, **options):
        try:
            cutoff = parse_cutoff(before)
            with audit.acting(None, "command"):
                done = archive(before=cutoff, output=Path(output), delete=delete)
        except ArchiveError as exc:
            raise CommandError(str(exc)) from None
        if done is None:
            self.stdout.write(f"{cutoff.isoformat()} 之前没有可归档的审计记录，未写入文件。")
            return
        p = done.plan
        self.stdout.write(
            f"已归档 {p.count} 条审计记录（序号 {p.after_seq + 1}–{p.through_seq}，"
            f"{cutoff.isoformat()} 之前）到 {done.path}，哈希链核验通过。\n"
            f"文件 SHA-256：{done.sha256}\n链尾：序号 {p.through_seq}，哈希 {p.last_hash}"
        )
        if delete:
            self.stdout.write(
                f"已从数据库移出 {done.deleted} 条，并记录归档点；"
                "verify_audit 此后从该归档点起核验。请把归档文件与链尾一并妥善保存。"
            )
        else:
            self.stdout.write("记录仍保留在数据库中（加 --delete 才移出）。")
