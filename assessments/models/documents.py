"""The document register (发文登记簿): every issued PDF's 文号, taken once and never reused.

A 文号 is the issuer's 机关代字, the year and the issuer's next number for that kind of
document (GB/T 9704: 发文机关代字〔年份〕发文顺序号). Each kind has its own sequence and its own
代字 suffix, so the 3rd branch report and the 3rd leader summary never print the same 文号.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from branches.models import Organization

from .results import report_path
from .workflow import Campaign, ScoreSheet


class DocumentKind(models.TextChoices):
    BRANCH = "branch", "支部考评报告"
    SUMMARY = "summary", "领导汇总报告"
    EVALUATION = "evaluation", "总体评估报告"


# What each kind adds to REPORT_DOC_PREFIX ("党考" → 党考〔2025〕1号, 党考汇〔2025〕1号,
# 党考总〔2025〕1号): one sequence per kind, so the printed numbers must differ by kind too.
DESIGNATORS: dict[str, str] = {
    DocumentKind.BRANCH: "",
    DocumentKind.SUMMARY: "汇",
    DocumentKind.EVALUATION: "总",
}


def format_number(prefix: str, kind: str, year: int, sequence: int) -> str:
    """The 文号 as printed ("" when the deployment prints none: empty prefix)."""
    if not prefix:
        return ""
    return f"{prefix}{DESIGNATORS[kind]}〔{year}〕{sequence}号"


class DocumentSequence(models.Model):
    """The last number taken for an issuer, kind and year. Its row is locked while the
    next number is taken, so two documents issued at once never get the same one."""

    issuer = models.ForeignKey(
        Organization, verbose_name="发文机关", on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField("文种", max_length=20, choices=DocumentKind)
    year = models.PositiveSmallIntegerField("年份")
    last = models.PositiveIntegerField("已用到", default=0)

    class Meta:
        verbose_name = "发文序号"
        verbose_name_plural = "发文序号"
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "kind", "year"],
                name="document_sequence_once",
                violation_error_message="同一发文机关、文种和年份只有一个发文序号。",
            )
        ]

    def __str__(self) -> str:
        return f"{self.issuer} · {self.get_kind_display()} · {self.year}：{self.last}"


class IssuedDocument(models.Model):
    """One 文号 given to one issued PDF: who issued it, when, and what it was given to.

    A signed sheet's branch report holds one number for good (its PDF is stored once, in
    StoredReport). A summary or overall evaluation report rendered again keeps its number
    while its content (every figure, list and chart; not the generation time) is the same
    as the last one issued for that campaign, and is served from the stored file; once
    anything changed it is a new document with the next number."""

    issuer = models.ForeignKey(
        Organization, verbose_name="发文机关", on_delete=models.PROTECT, related_name="+"
    )
    issuer_name = models.CharField("发文机关名称", max_length=100)
    kind = models.CharField("文种", max_length=20, choices=DocumentKind)
    year = models.PositiveSmallIntegerField("年份")
    sequence = models.PositiveIntegerField("顺序号")
    number = models.CharField("文号", max_length=60, blank=True)
    title = models.CharField("标题", max_length=200)
    campaign = models.ForeignKey(
        Campaign, verbose_name="考评活动", on_delete=models.PROTECT, related_name="documents"
    )
    sheet = models.ForeignKey(
        ScoreSheet,
        verbose_name="考评表",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
    )
    # The rendered content's fingerprint, generation time left out (summaries only): the
    # same content again is the same document.
    content_digest = models.CharField("内容摘要", max_length=64, blank=True)
    file = models.FileField("文件", upload_to=report_path, blank=True)
    sha256 = models.CharField("文件 SHA-256", max_length=64, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="发文人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    issued_at = models.DateTimeField("发文时间", auto_now_add=True)

    class Meta:
        verbose_name = "发文登记"
        verbose_name_plural = "发文登记"
        ordering = ["-issued_at", "-id"]
        constraints = [
            # A number is given once: never to two documents of the same issuer and kind.
            models.UniqueConstraint(
                fields=["issuer", "kind", "year", "sequence"],
                name="document_number_once",
                violation_error_message="该文号已经使用，不能重复。",
            ),
            # A signed sheet's report is one document with one number, however often it
            # is downloaded.
            models.UniqueConstraint(
                fields=["sheet"],
                condition=Q(sheet__isnull=False),
                name="document_once_per_sheet",
                violation_error_message="该考评表的报告已经编号。",
            ),
            models.CheckConstraint(condition=Q(sequence__gte=1), name="document_sequence_gte_1"),
        ]
        indexes = [models.Index(fields=["campaign", "kind"], name="document_campaign_kind")]

    def __str__(self) -> str:
        return f"{self.number or f'第 {self.sequence} 号'} {self.title}"

    def audit_org_path(self) -> str:
        return self.issuer.path
