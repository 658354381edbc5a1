from django.core.management.base import BaseCommand

from branches.toolkit.statistics import refresh_statistics


class Command(BaseCommand):
    help = "刷新数据库的查询统计信息（ANALYZE）：恢复备份或手工导入大量数据之后运行一次。"

    def handle(self, *args, **options):
        refresh_statistics()
        self.stdout.write("已刷新数据库统计信息。")
