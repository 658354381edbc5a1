"""The results page of the header's search box."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from branches.toolkit.http import AuthenticatedHttpRequest
from branches.toolkit.params import MAX_TEXT, choice_param, int_param, text_param

from . import selectors


@require_GET
@login_required
def search(request: AuthenticatedHttpRequest) -> HttpResponse:
    q = text_param(request, "q")
    kind = choice_param(request, "kind", selectors.KIND_VALUES)
    page = int_param(request, "page", 1, maximum=10_000)
    groups = selectors.search(request.user, q=q, kind=kind, page=page)
    return render(
        request,
        "assessments/search.html",
        {
            "q": q,
            "kind": kind,
            "groups": groups,
            "found": any(group.page.paginator.count for group in groups),
            "max_length": MAX_TEXT,
        },
    )
