"""The message centre: my notices a page at a time, open one (marks it read), mark all read.
Each POST: one service, then redirect."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from branches.toolkit.http import AuthenticatedHttpRequest

from . import selectors, services

PER_PAGE = 30


@require_GET
@login_required
def notice_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    unread_only = request.GET.get("show") == "unread"
    notices = selectors.notices_of(request.user, unread_only=unread_only)
    page = Paginator(notices, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "assessments/notices.html",
        {"page": page, "rows": selectors.reach(page), "unread_only": unread_only},
    )


@require_POST
@login_required
def notice_open(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Mark the notice read and go where it points."""
    notice = selectors.get_notice(request.user, pk)
    if notice is None:
        raise Http404("通知不存在")
    services.mark_read(notice, by=request.user)
    if notice.link and url_has_allowed_host_and_scheme(notice.link, allowed_hosts=None):
        return redirect(notice.link)
    return redirect("notice_list")


@require_POST
@login_required
def notice_read(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    notice = selectors.get_notice(request.user, pk)
    if notice is None:
        raise Http404("通知不存在")
    services.mark_read(notice, by=request.user)
    return redirect("notice_list")


@require_POST
@login_required
def notice_read_all(request: AuthenticatedHttpRequest) -> HttpResponse:
    count = services.mark_all_read(by=request.user)
    messages.success(request, f"已将 {count} 条通知标为已读。" if count else "没有未读通知。")
    return redirect("notice_list")
