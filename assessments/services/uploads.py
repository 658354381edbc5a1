"""Every uploaded file (sheet evidence, rectification evidence, meeting attachments) is
checked by size and by its content, then stored under a random name."""

import hashlib

from branches.models import User

from ..models.workflow import named_for
from .errors import AssessmentError, acting

EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
EVIDENCE_TYPES = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}
OFFICE = {
    "word/": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
    "xl/": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
    "ppt/": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx"),
}


def sniff(content: bytes) -> str | None:
    """The content type judged from the bytes themselves (never from the name)."""
    for content_type, magics in EVIDENCE_TYPES.items():
        if content.startswith(magics):
            return content_type
    if content.startswith(b"PK\x03\x04"):
        import io
        import zipfile

        try:
            names = zipfile.ZipFile(io.BytesIO(content)).namelist()
        except zipfile.BadZipFile:
            return None
        if "[Content_Types].xml" in names:
            for prefix, (content_type, _) in OFFICE.items():
                if any(n.startswith(prefix) for n in names):
                    return content_type
    return None


def store_upload(upload, *, by: User, name: str, content: bytes):
    """Check an upload by size and content, then store it under a random name.
    ``upload`` is an unsaved UploadedFile subclass with its owner set."""
    from django.core.files.base import ContentFile

    if len(content) > EVIDENCE_MAX_BYTES:
        raise AssessmentError(f"文件过大（{len(content) / 1024 / 1024:.1f} MB），上限为 10 MB。")
    content_type = sniff(content)
    if content_type is None:
        raise AssessmentError(
            "只接受 PDF、JPG、PNG 图片和 Word / Excel / PowerPoint（.docx/.xlsx/.pptx）文件。"
        )
    upload.content_type = content_type
    upload.original_name = named_for(name[-200:], content_type)
    upload.size, upload.sha256 = len(content), hashlib.sha256(content).hexdigest()
    upload.uploaded_by = by
    upload.file.save("upload", ContentFile(content), save=False)
    with acting(by):
        upload.save()
    return upload
