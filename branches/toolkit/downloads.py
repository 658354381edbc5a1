"""File downloads: one way to send bytes as an attachment with a Chinese file name."""

from urllib.parse import quote

from django.http import HttpResponse


def attachment(content: bytes, *, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    # RFC 6266/5987: the UTF-8 name survives every browser the intranets use.
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def export_download(export) -> HttpResponse:
    """Send an Export (anything with render() -> (filename, content_type, bytes))."""
    filename, content_type, content = export.render()
    return attachment(content, filename=filename, content_type=content_type)
