"""`manage.py reseal_sheets --old-key-file FILE`: after the seal key was replaced (a new
DJANGO_SEAL_KEY or var/seal_key), seal again with the current key every signed sheet whose
seal is intact under the old one. The old key is read from a file (never from the command
line, which other users of the machine can see). A sheet that fails under the old key too
keeps failing and is named."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from assessments import services
from branches.toolkit import audit


class Command(BaseCommand):
    help = "更换签发封印密钥后，用新密钥重新封印原密钥下仍完好的已签发考评表。"

    def add_arguments(self, parser):
        parser.add_argument("--old-key-file", required=True, help="存放原密钥的文件")

    def handle(self, *args, old_key_file: str, **options):
        from django.conf import settings

        try:
            old_key = Path(old_key_file).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"无法读取原密钥文件 {old_key_file}：{exc}") from None
        if not old_key:
            raise CommandError("原密钥文件是空的。")
        if old_key == settings.SEAL_KEY:
            raise CommandError("原密钥与当前密钥相同，无需重新封印。")
        with audit.acting(None, "command"):
            done = services.reseal_signed_sheets(old_key=old_key)
        self.stdout.write(f"已用当前密钥重新封印 {done.resealed} 份已签发考评表。")
        if done.failing:
            shown = "、".join(done.failing[:50])
            more = f" 等 {len(done.failing)} 份" if len(done.failing) > 50 else ""
            self.stderr.write(
                f"以下考评表在原密钥下也与签发摘要不一致，未重新封印（仍显示警告）：{shown}{more}。"
            )
