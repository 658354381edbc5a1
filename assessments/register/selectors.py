"""Reads of the document register."""

from django.db.models import Q, QuerySet

from branches.models import User

from ..models import IssuedDocument
from .access import register_q


def register_rows(
    user: User, *, q: str = "", kind: str = "", year: int | None = None
) -> QuerySet[IssuedDocument]:
    """The register rows the user may read, newest first, filtered by a text (文号, title,
    issuer, who), a kind and a year; one query with everything a row shows."""
    rows = IssuedDocument.objects.filter(register_q(user))
    if q:
        rows = rows.filter(
            Q(number__icontains=q)
            | Q(title__icontains=q)
            | Q(issuer_name__icontains=q)
            | Q(issued_by__name__icontains=q)
            | Q(issued_by__username__icontains=q)
        )
    if kind:
        rows = rows.filter(kind=kind)
    if year is not None:
        rows = rows.filter(year=year)
    return rows.select_related("issuer", "campaign", "sheet", "issued_by").order_by(
        "-issued_at", "-pk"
    )
