"""Reading untrusted .xlsx uploads safely, and writing .xlsx that never holds a formula.

Every upload is read through this module and nothing else (``read_xlsx`` for a table,
``read_pairs`` for a key/value sheet such as an offline sheet's info): size limit, a real
zip, a zip-bomb check (declared sizes and ratios), no DTD or entity declarations in any
XML part (in UTF-8 or UTF-16), and a row limit. openpyxl itself parses through defusedxml
(installed), so an entity that slipped past the scan would still be refused; and any
error while opening or reading is a SpreadsheetError with a Chinese message, never a 500.
"""

import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime

import openpyxl
from django.conf import settings
from django.utils import timezone
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from .downloads import safe_name

assert openpyxl.DEFUSEDXML, "defusedxml must be installed so openpyxl parses safely"

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ZIP_MEMBERS = 500
MAX_COMPRESSION_RATIO = 200
_DANGEROUS_XML = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)
SHEET_TITLE_FORBIDDEN = "\\/?*[]:"  # what Excel (and so openpyxl) refuses in a sheet title
SHEET_TITLE_LIMIT = 31


class SpreadsheetError(Exception):
    """The file is refused as a whole; the message says why, in Chinese."""


@dataclass(frozen=True)
class Sheet:
    headers: list[str]
    rows: list[tuple[int, list]]  # (Excel row number, cell values)


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


SAVE_AS_XLSX = (
    "请另存为 .xlsx 后再上传（在 Excel 中选“文件 → 另存为”，保存类型选“Excel 工作簿（*.xlsx）”）。"
)


def not_xlsx_message(filename: str = "") -> str:
    """Why a file that is not .xlsx was refused, and how to fix it (另存为 .xlsx)."""
    name = filename.lower()
    if name.endswith(".xls"):
        what = "这是旧版 Excel（.xls）文件，系统只接受 .xlsx。"
    elif name.endswith(".csv"):
        what = "这是 CSV 文件，系统只接受 Excel 的 .xlsx 文件。"
    else:
        what = "文件不是有效的 Excel（.xlsx）文件。"
    return what + SAVE_AS_XLSX


def check_xlsx_bytes(content: bytes) -> None:
    """Refuse hostile or oversized files before any XML parser sees them."""
    if len(content) > settings.IMPORT_MAX_BYTES:
        raise SpreadsheetError(
            f"文件过大（{_mb(len(content))}），上限为 {_mb(settings.IMPORT_MAX_BYTES)}。"
        )
    if not content or not zipfile.is_zipfile(io.BytesIO(content)):
        raise SpreadsheetError(not_xlsx_message())
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise SpreadsheetError("文件已损坏，无法读取。") from None
    if len(members) > MAX_ZIP_MEMBERS:
        raise SpreadsheetError("文件结构异常（包含的部件过多），已拒绝。")
    _check_members(members)
    for member in members:
        if member.filename.endswith((".xml", ".rels", ".vml")):
            _check_xml_part(archive, member)


def _check_members(members: list[zipfile.ZipInfo]) -> None:
    """Refuse encrypted parts, and sizes (as declared) of a zip bomb."""
    total = 0
    for member in members:
        if member.flag_bits & 0x1:
            raise SpreadsheetError("文件已加密，请取消密码保护后再上传。")
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if total > settings.IMPORT_MAX_UNZIPPED_BYTES or (
            member.file_size > 1024 * 1024 and ratio > MAX_COMPRESSION_RATIO
        ):
            raise SpreadsheetError("文件解压后异常巨大（疑似压缩炸弹），已拒绝。")


def _check_xml_part(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> None:
    """Refuse an XML part that declares a DTD or entities, or unzips past the limit."""
    # Read in bounded chunks: the declared size was checked, but do not trust it.
    with archive.open(member) as handle:
        seen = 0
        tail = b""
        while chunk := handle.read(64 * 1024):
            seen += len(chunk)
            if seen > settings.IMPORT_MAX_UNZIPPED_BYTES:
                raise SpreadsheetError("文件解压后异常巨大（疑似压缩炸弹），已拒绝。")
            # UTF-16 and UTF-32 put NULs between ASCII letters: look through them.
            window = tail + chunk
            if _DANGEROUS_XML.search(window) or _DANGEROUS_XML.search(window.replace(b"\x00", b"")):
                raise SpreadsheetError(
                    "文件包含不允许的 XML 实体或 DTD 声明（可能是恶意文件），已拒绝。"
                )
            tail = chunk[-40:]


def _plain(value):
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        return value.date()
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


@contextmanager
def _guarded() -> Iterator[None]:
    """Any failure of openpyxl or the XML parser while opening or reading becomes a
    SpreadsheetError (it parses lazily: a hostile part may only fail while reading)."""
    try:
        yield
    except SpreadsheetError:
        raise
    except Exception as exc:  # openpyxl, zipfile and defusedxml raise many kinds
        name = type(exc).__name__
        if "Entit" in name or "DTD" in name or "Forbidden" in name:
            raise SpreadsheetError("文件包含不允许的 XML 实体或 DTD 声明，已拒绝。") from None
        raise SpreadsheetError(
            "无法读取该 Excel 文件，请确认是未损坏的 .xlsx 文件（可从本系统下载模板填写）。"
        ) from None


def _open(content: bytes):
    check_xlsx_bytes(content)
    with _guarded():
        return openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)


def read_pairs(content: bytes, sheet_name: str) -> dict[str, str] | None:
    """The (key, value) rows below the header of the named worksheet, or None if the file
    has no such worksheet."""
    book = _open(content)
    try:
        with _guarded():
            if sheet_name not in book.sheetnames:
                return None
            return {
                str(r[0]): "" if len(r) < 2 or r[1] is None else str(r[1])
                for r in book[sheet_name].iter_rows(min_row=2, values_only=True)
                if r and r[0] is not None
            }
    finally:
        book.close()


def read_xlsx(content: bytes, *, required: Sequence[str] = ()) -> Sheet:
    """The first worksheet of an upload: a header row and its data rows, blank rows left out."""
    book = _open(content)
    try:
        with _guarded():
            return _read_first(book, required)
    finally:
        book.close()


def _read_first(book, required: Sequence[str]) -> Sheet:
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header_row = next(rows, None)
    if header_row is None:
        raise SpreadsheetError("文件是空的：第一行应为表头。")
    headers = [str(h).strip() if h is not None else "" for h in header_row]
    while headers and headers[-1] == "":
        headers.pop()
    missing = [name for name in required if name not in headers]
    if missing:
        raise SpreadsheetError(f"缺少列：{'、'.join(missing)}。请使用下载的模板。")
    data: list[tuple[int, list]] = []
    for number, row in enumerate(rows, start=2):
        values = [_plain(v) for v in list(row)[: len(headers)]]
        values += [None] * (len(headers) - len(values))
        if all(v is None for v in values):
            continue
        if len(data) >= settings.IMPORT_MAX_ROWS:
            raise SpreadsheetError(f"数据行数超过上限 {settings.IMPORT_MAX_ROWS} 行，请分批导入。")
        data.append((number, values))
    if not data:
        raise SpreadsheetError("文件中没有数据行。")
    return Sheet(headers=headers, rows=data)


def _cell_value(value):
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        # Excel has no time zones: local wall-clock time, kept as a date-time value.
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    return value


def sheet_title(title: str, *, taken: set[str] | None = None) -> str:
    """A worksheet title Excel accepts, made from any text: forbidden characters replaced,
    no leading or trailing apostrophe, at most 31 characters, and (given the titles already
    ``taken`` in the workbook, which it joins) unique, as Excel compares, ignoring case."""
    base = safe_name(
        title, forbidden=SHEET_TITLE_FORBIDDEN, limit=SHEET_TITLE_LIMIT, default="Sheet"
    )
    if taken is None:
        return base
    used = {t.casefold() for t in taken}
    candidate, n = base, 1
    while candidate.casefold() in used:
        n += 1
        suffix = f"({n})"
        candidate = base[: SHEET_TITLE_LIMIT - len(suffix)] + suffix
    taken.add(candidate)
    return candidate


def write_xlsx(
    sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence]]],
    *,
    widths: dict[str, int] | None = None,
) -> bytes:
    """Write sheets of (title, headers, rows) in write-only mode.

    Every cell is a value: strings that look like formulas (= + - @) are stored as text.
    """
    book = openpyxl.Workbook(write_only=True)
    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor="B22222")
    widths = widths or {}
    taken: set[str] = set()
    for title, headers, rows in sheets:
        ws = book.create_sheet(title=sheet_title(title, taken=taken))
        for index, header in enumerate(headers, start=1):
            width = widths.get(header, max(10, min(40, len(str(header)) * 2 + 4)))
            ws.column_dimensions[get_column_letter(index)].width = width
        ws.freeze_panes = "A2"
        header_cells = []
        for header in headers:
            cell = WriteOnlyCell(ws, value=str(header))
            cell.font, cell.fill = header_font, header_fill
            cell.alignment = Alignment(horizontal="center")
            cell.data_type = "s"
            header_cells.append(cell)
        ws.append(header_cells)
        for row in rows:
            cells = []
            for value in row:
                value = _cell_value(value)
                cell = WriteOnlyCell(ws, value=value)
                if isinstance(value, str):
                    cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
                    cell.data_type = "s"  # never "f": a leading "=" stays text
                elif isinstance(value, datetime):
                    cell.number_format = "yyyy-mm-dd hh:mm"
                elif isinstance(value, date):
                    cell.number_format = "yyyy-mm-dd"
                cells.append(cell)
            ws.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
