"""File downloads: one way to send bytes as an attachment with a Chinese file name, and
the one rule that makes any text (an organization's name, a campaign's) safe as a file
name, a zip member's name or a worksheet's title."""

import re
from urllib.parse import quote

from django.http import HttpResponse

# What Windows, the unzip tools and the browsers refuse in a file name, and control characters.
FILE_NAME_FORBIDDEN = '\\/:*?"<>|'
_CONTROL = "\x00-\x1f\x7f"
_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,5}$")


def safe_name(text: str, *, forbidden: str, limit: int, default: str) -> str:
    """``text`` with each ``forbidden`` or control character replaced by "_", no
    leading or trailing spaces, dots or apostrophes (no ``..``), cut to ``limit`` characters;
    ``default`` when nothing is left."""
    pattern = f"[{re.escape(forbidden)}{_CONTROL}]"
    cleaned = re.sub(pattern, "_", str(text).strip(" .'"))
    cleaned = re.sub(r"\.{2,}", "_", cleaned)
    cleaned = cleaned[:limit].strip(" .'")
    return cleaned or default


def download_name(filename: str, *, limit: int = 120, default: str = "下载") -> str:
    """A file name safe to save on any system, its extension (.xlsx, .pdf, .zip) kept."""
    match = _EXTENSION.search(filename)
    extension = match.group(0) if match else ""
    stem = filename[: len(filename) - len(extension)]
    stem = safe_name(stem, forbidden=FILE_NAME_FORBIDDEN, limit=limit - len(extension), default="")
    return f"{stem or default}{extension}"


def attachment(content: bytes, *, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    # RFC 6266/5987: the UTF-8 name survives every browser the intranets use.
    name = quote(download_name(filename), safe="")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{name}"
    return response


def export_download(export) -> HttpResponse:
    """Send an Export (anything with render() -> (filename, content_type, bytes))."""
    filename, content_type, content = export.render()
    return attachment(content, filename=filename, content_type=content_type)
