"""The task workers' heartbeats: each running worker writes its row every few seconds, so
a task claimed by a worker that stopped beating (killed, out of memory, host lost) can be
told from one that is merely slow, and the health check can say whether any worker runs."""

from django.db import models


class WorkerHeartbeat(models.Model):
    worker_id = models.CharField("进程编号", max_length=64, unique=True)
    host = models.CharField("主机", max_length=255)
    pid = models.PositiveIntegerField("进程号")
    started_at = models.DateTimeField("启动时间")
    beat_at = models.DateTimeField("最近心跳", db_index=True)

    class Meta:
        verbose_name = "后台进程心跳"
        verbose_name_plural = "后台进程心跳"

    def __str__(self) -> str:
        return f"{self.host}:{self.pid} ({self.worker_id})"
