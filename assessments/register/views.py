"""The document register page and its Excel export."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from branches.toolkit.downloads import export_download
from branches.toolkit.http import AuthenticatedHttpRequest
from branches.toolkit.params import int_param, shown, text_param

from ..models import DocumentKind
from .access import may_open_documents, require_register
from .exports import RegisterExport
from .selectors import register_rows

PAGE_SIZE = 50


def _filters(request: HttpRequest) -> dict:
    """The page's filters, each bounded: a kind or year that is not one is a 400."""
    kind = text_param(request, "kind", max_length=20)
    if kind and kind not in DocumentKind.values:
        raise BadRequest(f"没有这种文种：“{shown(kind)}”。")
    return {
        "q": text_param(request, "q"),
        "kind": kind,
        "year": int_param(request, "year", minimum=2000, maximum=2100),
    }


@require_GET
@login_required
def document_register(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_register(request.user)
    filters = _filters(request)
    rows = register_rows(request.user, **filters)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "assessments/document_register.html",
        {
            "page": Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page")),
            "filters": filters,
            "kinds": DocumentKind.choices,
            "query": query.urlencode(),
            "may_open": may_open_documents(request.user),
        },
    )


@require_GET
@login_required
def document_register_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_register(request.user)
    return export_download(RegisterExport(by=request.user, **_filters(request)))
