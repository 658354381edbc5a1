"""The document register: the next 文号 for an issued PDF, taken under a row lock."""

import hashlib

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction

from branches.models import Organization, User

from ..models import (
    Campaign,
    DocumentKind,
    DocumentSequence,
    IssuedDocument,
    ScoreSheet,
    SheetStatus,
    format_number,
)
from .errors import AssessmentError, acting


def issuer_of(campaign: Campaign) -> Organization:
    """The organization that issues a campaign's documents: the campaign's scope (its
    党委), or, when one issuer name is set for the whole deployment (REPORT_ISSUER), the
    top of the scope's tree, so one printed issuer has one sequence."""
    scope = campaign.scope
    if settings.REPORT_ISSUER and scope.path.strip("/"):
        top = int(scope.path.strip("/").split("/")[0])
        if top != scope.pk:
            return Organization.objects.get(pk=top)
    return scope


def issuer_name(issuer: Organization) -> str:
    """The issuer as printed in the 红头 and the 落款."""
    return (settings.REPORT_ISSUER or issuer.name)[:100]


def _same_document(
    campaign: Campaign, *, issuer: Organization, kind: str, sheet, content_digest: str
) -> IssuedDocument | None:
    """The document this one already is: a sheet's report has one number for good; a
    summary keeps the last number issued for its campaign while its content is the same."""
    if sheet is not None:
        return IssuedDocument.objects.filter(sheet=sheet).first()
    last = (
        IssuedDocument.objects.filter(campaign=campaign, kind=kind, issuer=issuer)
        .order_by("-issued_at", "-pk")
        .first()
    )
    if last is not None and content_digest and last.content_digest == content_digest:
        return last
    return None


def issue_document(
    campaign: Campaign,
    *,
    by: User | None,
    kind: str,
    title: str,
    sheet: ScoreSheet | None = None,
    content_digest: str = "",
) -> IssuedDocument:
    """Give a document its 文号: the same one it already has (a signed sheet's report; a
    summary whose content has not changed), else the issuer's next number for the kind
    and the campaign's year. The sequence row is locked (SELECT … FOR UPDATE) from reading
    the last number to recording the new one, so two issues at once wait in turn and
    never share a number; the register's unique constraint backs this up. The new row
    is audited (who, which number, to which document)."""
    if kind not in DocumentKind.values:
        raise AssessmentError("没有这种文种。")
    if (kind == DocumentKind.BRANCH) != (sheet is not None):
        raise AssessmentError("支部考评报告按考评表编号，汇总类报告按考评活动编号。")
    if sheet is not None and sheet.status != SheetStatus.SIGNED:
        raise AssessmentError("考评表尚未审核签发，报告不编文号。")
    issuer = issuer_of(campaign)
    year = campaign.year
    with transaction.atomic(), acting(by):
        row, _ = DocumentSequence.objects.get_or_create(issuer=issuer, kind=kind, year=year)
        row = DocumentSequence.objects.select_for_update().get(pk=row.pk)
        same = _same_document(
            campaign, issuer=issuer, kind=kind, sheet=sheet, content_digest=content_digest
        )
        if same is not None:
            return same
        row.last += 1
        row.save(update_fields=["last"])
        return IssuedDocument.objects.create(
            issuer=issuer,
            issuer_name=issuer_name(issuer),
            kind=kind,
            year=year,
            sequence=row.last,
            number=format_number(settings.REPORT_DOC_PREFIX, kind, year, row.last),
            title=title[:200],
            campaign=campaign,
            sheet=sheet,
            content_digest=content_digest,
            issued_by=by if getattr(by, "pk", None) else None,
        )


def keep_document_file(document: IssuedDocument, content: bytes, *, store: bool = True) -> None:
    """Record the issued PDF's SHA-256 on its register row and (``store``) keep the file
    there to serve again; the first rendering stored wins."""
    sha256 = hashlib.sha256(content).hexdigest()
    if not store:
        IssuedDocument.objects.filter(pk=document.pk, sha256="").update(sha256=sha256)
        return
    if IssuedDocument.objects.filter(pk=document.pk).exclude(file="").exists():
        return
    document.file.save(f"{document.kind}.pdf", ContentFile(content), save=False)
    IssuedDocument.objects.filter(pk=document.pk, file="").update(
        file=document.file.name, sha256=sha256
    )
