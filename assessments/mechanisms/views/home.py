"""The mechanisms' front page: what this user may see of pairings, inspections, posts and
the 亮牌 board."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from branches import access as branch_access
from branches.access import Perm
from branches.toolkit.http import AuthenticatedHttpRequest

from .. import access, selectors
from ..selectors import board


@require_GET
@login_required
def mechanisms_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    branches = selectors.home_branches(user)
    return render(
        request,
        "assessments/mechanisms/home.html",
        {
            "pairings": access.visible_pairings(user).order_by("organization__tree_key")[:50],
            "inspections": access.visible_inspections(user).order_by("-year", "-quarter")[:50],
            "branches": branches[:200],
            "can_manage": branch_access.has_perm(user, Perm.MANAGE_CAMPAIGNS),
            "can_board": board.visible_to(user),
        },
    )
