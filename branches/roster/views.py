"""The roster pages: list (search, pagination) inside the branch, add, edit, delete,
Excel export and import. Scoped by branches/access.py: the department over its subtree,
a secretary over their own branch, a leader reads."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from .. import access, importing
from ..access import Perm
from ..forms import UploadForm
from ..models import MemberStatus
from ..services import BranchesError
from ..toolkit.downloads import export_download
from ..toolkit.http import AuthenticatedHttpRequest
from ..toolkit.params import text_param
from ..toolkit.spreadsheets import SpreadsheetError
from . import exports, importer, selectors, services
from .forms import MemberForm

PAGE_SIZE = 50


@require_GET
@login_required
def member_list(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    org = access.get_roster_org(request.user, pk)
    q = text_param(request, "q")
    status = text_param(request, "status", max_length=20)
    if status not in MemberStatus.values:
        status = ""
    include_left = request.GET.get("left") == "1"
    members = selectors.roster(org, q=q, status=status, include_left=include_left)
    return render(
        request,
        "branches/member_list.html",
        {
            "org": org,
            "page": Paginator(members, PAGE_SIZE).get_page(request.GET.get("page")),
            "q": q,
            "status": status,
            "include_left": include_left,
            "statuses": MemberStatus.choices,
            "can_manage": access.has_perm(request.user, Perm.MANAGE_MEMBERS, org),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def member_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    org = access.get_roster_org(request.user, pk, Perm.MANAGE_MEMBERS)
    form = MemberForm(request.POST or None, can_link=services.may_link_logins(request.user, org))
    if request.method == "POST" and form.is_valid():
        try:
            member = services.add_member(org, by=request.user, data=form.member_data())
        except BranchesError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"已将“{member.name}”加入党员名册。")
            return redirect("member_list", pk=org.pk)
    return render(request, "branches/member_form.html", {"form": form, "org": org, "member": None})


@require_http_methods(["GET", "POST"])
@login_required
def member_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    member = access.get_member(request.user, pk, Perm.MANAGE_MEMBERS)
    form = MemberForm(
        request.POST or None,
        instance=member,
        can_link=services.may_link_logins(request.user, member.organization),
    )
    if request.method == "POST" and form.is_valid():
        try:
            member = services.update_member(member, by=request.user, data=form.member_data())
        except BranchesError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"已保存“{member.name}”。")
            return redirect("member_list", pk=member.organization_id)
    return render(
        request,
        "branches/member_form.html",
        {"form": form, "org": member.organization, "member": member},
    )


@require_http_methods(["GET", "POST"])
@login_required
def member_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    member = access.get_member(request.user, pk, Perm.MANAGE_MEMBERS)
    if request.method == "POST":
        try:
            services.delete_member(member, by=request.user)
        except BranchesError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"已从党员名册删除“{member.name}”。")
        return redirect("member_list", pk=member.organization_id)
    return render(
        request,
        "branches/confirm_delete.html",
        {
            "object": member,
            "title": f"删除党员“{member.name}”",
            "cancel_url": reverse("member_list", args=[member.organization_id]),
        },
    )


@require_GET
@login_required
def member_export(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    org = access.get_roster_org(request.user, pk)
    return export_download(exports.MemberExport(by=request.user, org=org))


@require_GET
@login_required
def member_template(request: AuthenticatedHttpRequest) -> HttpResponse:
    access.require(request.user, Perm.MANAGE_MEMBERS)
    return export_download(exports.MemberTemplate(by=request.user))


@require_http_methods(["GET", "POST"])
@login_required
def member_import(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    org = access.get_roster_org(request.user, pk, Perm.MANAGE_MEMBERS)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = importing.start_import(
                by=request.user,
                kind=importer.KIND,
                filename=upload.name,
                content=upload.read(),
                target_id=org.pk,
            )
        except SpreadsheetError as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("import_preview", pk=job.pk)
    return render(
        request,
        "branches/member_import.html",
        {
            "form": form,
            "org": org,
            "max_rows": settings.IMPORT_MAX_ROWS,
            "max_mb": settings.IMPORT_MAX_BYTES // (1024 * 1024),
        },
    )
