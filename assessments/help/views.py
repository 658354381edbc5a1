"""The help page: the user guide for the viewer's roles."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from branches.toolkit.http import AuthenticatedHttpRequest
from branches.toolkit.params import choice_param

from . import selectors


@require_GET
@login_required
def help_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    guide = selectors.read_guide()
    roles = guide.roles() if guide is not None else []
    role = choice_param(request, "role", [value for value, _ in roles] + ["all"])
    return render(
        request,
        "assessments/help.html",
        {
            "guide": guide,
            "roles": roles,
            "role": role,
            "sections": selectors.sections_for(guide, request.user, role) if guide else [],
        },
    )
