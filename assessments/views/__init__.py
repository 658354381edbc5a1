"""Assessment views: the workflow (campaigns, stages, sheets) and the results."""

from django.http import FileResponse, Http404

from branches.toolkit.downloads import download_name


def send_upload(uploaded) -> FileResponse:
    """The one way an uploaded file (evidence of a sheet or of a rectification) is sent:
    as an attachment under its sniffed type's name, never rendered inline or sniffed."""
    try:
        handle = uploaded.file.open("rb")
    except FileNotFoundError:
        raise Http404("文件已不存在") from None
    response = FileResponse(
        handle,
        content_type=uploaded.content_type,
        as_attachment=True,
        filename=download_name(uploaded.download_name),
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
