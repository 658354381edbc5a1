"""The document register as a spreadsheet (the page's filters apply)."""

from django.utils import timezone

from branches.toolkit.exports import Export

from .selectors import register_rows


class RegisterExport(Export):
    identifier = "document_register"
    verbose_name = "发文登记簿"
    widths = {"文号": 22, "标题": 48, "发文机关": 20, "考评活动": 32, "文件 SHA-256": 30}

    def __init__(self, *, by, q: str = "", kind: str = "", year: int | None = None):
        super().__init__(by=by)
        self.filters = {"q": q, "kind": kind, "year": year}

    def headers(self):
        return [
            "文号",
            "发文机关",
            "文种",
            "年份",
            "顺序号",
            "标题",
            "考评活动",
            "发文人",
            "发文时间",
            "文件 SHA-256",
        ]

    def rows(self):
        for d in register_rows(self.by, **self.filters).iterator(chunk_size=500):
            who = d.issued_by
            yield [
                d.number or "（未印文号）",
                d.issuer_name,
                d.get_kind_display(),
                d.year,
                d.sequence,
                d.title,
                d.campaign.name,
                (who.name or who.username) if who else "系统",
                timezone.localtime(d.issued_at).strftime("%Y-%m-%d %H:%M:%S"),
                d.sha256,
            ]
