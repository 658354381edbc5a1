"""The base of every spreadsheet export: one class per export with an identifier, a name,
headers and rows; ``render()`` gives (filename, content type, bytes)."""

from collections.abc import Iterable, Sequence

from django.utils import timezone

from ..models import User
from .spreadsheets import XLSX_CONTENT_TYPE, write_xlsx


class Export:
    identifier: str
    verbose_name: str
    widths: dict[str, int] = {}

    def __init__(self, *, by: User):
        self.by = by

    def headers(self) -> Sequence[str]:
        raise NotImplementedError

    def rows(self) -> Iterable[Sequence]:
        raise NotImplementedError

    def extra_sheets(self) -> list[tuple[str, Sequence[str], Iterable[Sequence]]]:
        return []

    def render(self) -> tuple[str, str, bytes]:
        content = write_xlsx(
            [(self.verbose_name, self.headers(), self.rows()), *self.extra_sheets()],
            widths=self.widths,
        )
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        return f"{self.verbose_name}-{stamp}.xlsx", XLSX_CONTENT_TYPE, content
