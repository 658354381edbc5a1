from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import access, exports, importing, passwords, selectors, services
from .access import Perm
from .forms import (
    AuditFilterForm,
    CrossReviewGroupForm,
    GrantRoleForm,
    OrganizationForm,
    OwnPasswordChangeForm,
    RejectResetForm,
    SecretaryAccountsForm,
    SetPasswordForm,
    UploadForm,
    UserCreateForm,
    UserEditForm,
)
from .models import (
    MIN_BRANCH_FULL_MEMBERS,
    ROSTER_KINDS,
    TERM_WARNING_DAYS,
    CrossReviewGroup,
    ImportJob,
    ImportKind,
    ImportStatus,
    OrgKind,
    Role,
    User,
    term_rule,
)
from .services import BranchesError
from .toolkit.downloads import attachment, export_download
from .toolkit.http import AuthenticatedHttpRequest
from .toolkit.import_registry import REGISTRY
from .toolkit.paging import list_page
from .toolkit.params import LIST_PAGE_SIZE, int_param, text_param
from .toolkit.spreadsheets import SpreadsheetError

PAGE_SIZE = 50
TREE_PAGE_SIZE = LIST_PAGE_SIZE  # whole rows of the tree, as long as any other list
CHILDREN_PAGE_SIZE = 100  # an organization's children listed on its page at a time


def _page(request: HttpRequest, queryset, size: int = PAGE_SIZE):
    return list_page(request, queryset, size)


# -- organizations ----------------------------------------------------------------------


@require_GET
@login_required
def org_tree(request: AuthenticatedHttpRequest) -> HttpResponse:
    access.require(request.user, Perm.VIEW_ORG)
    q = text_param(request, "q")
    kind = text_param(request, "kind", max_length=30)
    flag = text_param(request, "flag", max_length=30)
    filtering = bool(q or kind or flag)
    context = {
        "q": q,
        "kind": kind,
        "flag": flag,
        "filtering": filtering,
        "kinds": OrgKind.choices,
        "flags": [
            ("below_minimum", f"正式党员不足 {MIN_BRANCH_FULL_MEMBERS} 人"),
            ("term_due", f"任期 {TERM_WARNING_DAYS} 天内届满或已届满"),
            ("weak", "软弱涣散"),
            ("lagging", "后进"),
        ],
        "can_manage": access.has_perm(request.user, Perm.MANAGE_ORG),
        "can_manage_people": access.has_perm(request.user, Perm.MANAGE_PEOPLE),
    }
    if filtering:
        context["page"] = _page(
            request, selectors.search_orgs(request.user, q=q, kind=kind, flag=flag)
        )
    else:
        # The whole tree in pre-order, cut into pages of TREE_PAGE_SIZE rows; a page that
        # starts inside a subtree names the organizations above its first row.
        page = _page(request, selectors.tree_order(request.user), TREE_PAGE_SIZE)
        rows = selectors.tree_rows(request.user, page.object_list)
        context["page"] = page
        context["rows"] = rows
        if page.number > 1 and rows:
            context["above"] = selectors.tree_above(rows[0])
    return render(request, "branches/org_tree.html", context)


@require_GET
@login_required
def org_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    org = access.get_org(request.user, pk)
    visible_ids = set(access.visible_orgs(request.user).values_list("pk", flat=True))
    context = {
        "org": org,
        "ancestors": selectors.ancestors(org),
        "visible_ids": visible_ids,
        "children": _page(request, org.children.order_by("code", "pk"), CHILDREN_PAGE_SIZE),
        "memberships": org.memberships.select_related("user").order_by("role", "user__username"),
        "can_manage": access.has_perm(request.user, Perm.MANAGE_ORG, org),
        "can_read_scores": access.can_read_scores(request.user, org),
        "has_roster": org.kind in ROSTER_KINDS
        and access.has_perm(request.user, Perm.VIEW_MEMBERS, org),
    }
    if context["has_roster"]:
        context["roster_count"] = org.members.active().count()
    return render(request, "branches/org_detail.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def org_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    access.require(request.user, Perm.MANAGE_ORG)
    initial: dict[str, object] = {}
    if parent_id := int_param(request, "parent"):
        parent = access.get_org(request.user, parent_id, Perm.MANAGE_ORG)
        initial["parent"] = parent
        child_kinds: dict[str, str] = {
            OrgKind.COMMITTEE: OrgKind.BRANCH,
            OrgKind.GENERAL_BRANCH: OrgKind.BRANCH,
            OrgKind.BRANCH: OrgKind.GROUP,
        }
        initial["kind"] = child_kinds.get(parent.kind)
    form = OrganizationForm(request.POST or None, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            org = services.create_organization(by=request.user, data=form.cleaned_data)
        except BranchesError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"已新增“{org.name}”。")
            return redirect("org_detail", pk=org.pk)
    return render(request, "branches/org_form.html", {"form": form, "org": None})


@require_http_methods(["GET", "POST"])
@login_required
def org_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    org = access.get_org(request.user, pk, Perm.MANAGE_ORG)
    form = OrganizationForm(request.POST or None, instance=org, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            org = services.update_organization(org, by=request.user, data=data)
        except BranchesError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"已保存“{org.name}”。")
            return redirect("org_detail", pk=org.pk)
    return render(request, "branches/org_form.html", {"form": form, "org": org})


@require_http_methods(["GET", "POST"])
@login_required
def org_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    org = access.get_org(request.user, pk, Perm.MANAGE_ORG)
    if request.method == "POST":
        try:
            services.delete_organization(org, by=request.user)
        except BranchesError as exc:
            messages.error(request, str(exc))
            return redirect("org_detail", pk=org.pk)
        messages.success(request, f"已删除“{org.name}”。")
        return redirect("org_tree")
    return render(
        request,
        "branches/confirm_delete.html",
        {
            "object": org,
            "title": f"删除组织“{org.name}”",
            "cancel_url": reverse("org_detail", args=[org.pk]),
        },
    )


@require_GET
@login_required
def term_reminders(request: AuthenticatedHttpRequest) -> HttpResponse:
    access.require(request.user, Perm.VIEW_TERMS)
    due = selectors.term_reminders(request.user)
    if request.GET.get("format") == "xlsx":
        return export_download(exports.TermReminderExport(by=request.user, organizations=due))
    return render(
        request,
        "branches/term_reminders.html",
        {
            "page": _page(request, due),
            "term_warning_days": TERM_WARNING_DAYS,
            "term_rule": term_rule(),
        },
    )


@require_GET
@login_required
def org_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    access.require(request.user, Perm.VIEW_ORG)
    return export_download(exports.OrganizationExport(by=request.user))


@require_GET
@login_required
def org_template(request: AuthenticatedHttpRequest) -> HttpResponse:
    access.require(request.user, Perm.MANAGE_ORG)
    return export_download(exports.OrganizationTemplate(by=request.user))


# -- imports ----------------------------------------------------------------------------

# The people import: the 系统管理员 imports accounts, the 安全管理员 their roles (each
# row is checked against what the importer may do: branches.importers.PeopleImport).
IMPORT_PERMS: dict[str, tuple[Perm, ...]] = {
    ImportKind.ORGANIZATIONS: (Perm.MANAGE_ORG,),
    ImportKind.PEOPLE: (Perm.MANAGE_PEOPLE, Perm.GRANT_ROLES),
}
IMPORT_TEMPLATES: dict[str, str] = {
    ImportKind.ORGANIZATIONS: "org_template",
    ImportKind.PEOPLE: "people_template",
}


@require_http_methods(["GET", "POST"])
@login_required
def import_upload(request: AuthenticatedHttpRequest, kind: str) -> HttpResponse:
    if kind not in IMPORT_TEMPLATES:
        raise Http404
    access.require_any(request.user, *IMPORT_PERMS[kind])
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = importing.start_import(
                by=request.user, kind=kind, filename=upload.name, content=upload.read()
            )
        except SpreadsheetError as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("import_preview", pk=job.pk)
    return render(
        request,
        "branches/import_upload.html",
        {
            "form": form,
            "kind": kind,
            "kind_label": ImportKind(kind).label,
            "template_url": IMPORT_TEMPLATES[kind],
            "max_rows": settings.IMPORT_MAX_ROWS,
            "background_rows": settings.IMPORT_BACKGROUND_ROWS,
            "max_mb": settings.IMPORT_MAX_BYTES // (1024 * 1024),
        },
    )


def _get_job(request: HttpRequest, pk) -> ImportJob:
    job = selectors.import_job(pk)
    if job is None or job.created_by_id != request.user.pk:
        raise Http404
    perms = (REGISTRY[job.kind].perm,) if job.kind in REGISTRY else IMPORT_PERMS[job.kind]
    access.require_any(request.user, *perms)
    return job


@require_GET
@login_required
def import_preview(request: AuthenticatedHttpRequest, pk) -> HttpResponse:
    job = _get_job(request, pk)
    working = job.status in (ImportStatus.PENDING, ImportStatus.APPLYING)
    if request.headers.get("HX-Request") and not working:
        return HttpResponse(headers={"HX-Refresh": "true"})  # done: show the whole preview
    if working:
        return render(request, "branches/import_progress.html", {"job": job})
    report = job.summary
    show = text_param(request, "show", max_length=30)
    rows = report.get("rows", [])
    if show == "errors":
        rows = [r for r in rows if r["action"] == "error"]
    elif show == "changes":
        rows = [r for r in rows if r["action"] in ("new", "update")]
    return render(
        request,
        "branches/import_preview.html",
        {
            "job": job,
            "report": report,
            "page": _page(request, rows, 100),
            "show": show,
            "applied": job.status == ImportStatus.APPLIED,
        },
    )


@require_POST
@login_required
def import_confirm(request: AuthenticatedHttpRequest, pk) -> HttpResponse:
    job = _get_job(request, pk)
    if not job.summary.get("ok"):
        messages.error(request, "预览中有错误行，不能导入。请修改文件后重新上传。")
        return redirect("import_preview", pk=job.pk)
    try:
        report = importing.confirm_import(job, by=request.user)
    except importing.ImportRejected:
        messages.error(
            request, "导入时发现错误（数据可能已被他人修改），未保存任何数据。请查看错误行。"
        )
        return redirect("import_preview", pk=job.pk)
    except SpreadsheetError as exc:
        messages.error(request, str(exc))
        return redirect("import_preview", pk=job.pk)
    if report is None:  # a large file: the task worker stores it
        return redirect("import_preview", pk=job.pk)
    counts = report["counts"]
    messages.success(
        request,
        f"导入完成：新增 {counts['new']} 行，更新 {counts['update']} 行，"
        f"无变化 {counts['skip']} 行。",
    )
    if job.kind == ImportKind.ORGANIZATIONS:
        return redirect("org_tree")
    if job.kind in REGISTRY:
        return redirect(REGISTRY[job.kind].done(job))
    return redirect("people_list")


# -- cross-review groups ------------------------------------------------------------------


@require_GET
@login_required
def group_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    access.require(request.user, Perm.VIEW_ORG)
    groups = selectors.visible_groups(request.user)
    if request.GET.get("format") == "xlsx":
        return export_download(exports.GroupExport(by=request.user, groups=groups))
    return render(
        request,
        "branches/group_list.html",
        {
            "groups": groups,
            "can_manage": access.has_perm(request.user, Perm.MANAGE_ORG),
        },
    )


def _get_group(request: AuthenticatedHttpRequest, pk: int) -> CrossReviewGroup:
    group = selectors.visible_groups(request.user).filter(pk=pk).first()
    if group is None:
        raise Http404
    if not access.has_perm(request.user, Perm.MANAGE_ORG, group.owner):
        raise PermissionDenied
    return group


@require_http_methods(["GET", "POST"])
@login_required
def group_edit(request: AuthenticatedHttpRequest, pk: int | None = None) -> HttpResponse:
    if pk is None:
        access.require(request.user, Perm.MANAGE_ORG)
        group = None
    else:
        group = _get_group(request, pk)
    form = CrossReviewGroupForm(request.POST or None, instance=group, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_cross_review_group(
                by=request.user,
                group=group,
                owner=form.cleaned_data["owner"],
                name=form.cleaned_data["name"],
                enterprises=list(form.cleaned_data["enterprises"]),
            )
        except BranchesError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"已保存互评组“{saved.name}”。")
            return redirect("group_list")
    return render(request, "branches/group_form.html", {"form": form, "group": group})


@require_http_methods(["GET", "POST"])
@login_required
def group_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    group = _get_group(request, pk)
    if request.method == "POST":
        services.delete_cross_review_group(group, by=request.user)
        messages.success(request, f"已删除互评组“{group.name}”。")
        return redirect("group_list")
    return render(
        request,
        "branches/confirm_delete.html",
        {
            "object": group,
            "title": f"删除互评组“{group.name}”",
            "cancel_url": reverse("group_list"),
        },
    )


# -- people -----------------------------------------------------------------------------


@require_GET
@login_required
def people_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not access.manages_people(request.user):
        raise PermissionDenied
    q = text_param(request, "q")
    role = text_param(request, "role", max_length=30)
    users = access.visible_users(request.user)
    if q:
        users = users.filter(Q(username__icontains=q) | Q(name__icontains=q))
    if role == "none":  # accounts waiting for the 安全管理员's grant
        users = users.filter(memberships__isnull=True)
    elif role:
        users = users.filter(memberships__role=role)
    users = users.order_by("username").prefetch_related("memberships__organization")
    return render(
        request,
        "branches/people_list.html",
        {
            "page": _page(request, users.distinct()),
            "q": q,
            "role": role,
            "roles": Role.choices,
            "can_accounts": access.has_perm(request.user, Perm.MANAGE_PEOPLE),
            "can_grant": access.has_perm(request.user, Perm.GRANT_ROLES),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def person_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    access.require(request.user, Perm.MANAGE_PEOPLE)
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            person = services.create_user(by=request.user, **form.cleaned_data)
        except BranchesError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, f"已新增账号 {person}。该账号尚无角色：角色由安全管理员授予（三员分立）。"
            )
            return redirect("person_detail", pk=person.pk)
    return render(request, "branches/person_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
@login_required
def person_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    posting = request.method == "POST"
    person = access.get_user(request.user, pk, perm=Perm.MANAGE_PEOPLE if posting else None)
    form = _edit_form(person, request.POST or None)
    if posting and form.is_valid():
        try:
            services.update_user(person, by=request.user, **form.cleaned_data)
        except BranchesError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"已保存 {person}。")
            return redirect("person_detail", pk=person.pk)
    return _person_page(request, person, form)


def _edit_form(person: User, data=None) -> UserEditForm:
    fields = ("name", "email", "phone", "is_active")
    return UserEditForm(data, initial={name: getattr(person, name) for name in fields})


def _person_page(
    request: AuthenticatedHttpRequest,
    person: User,
    form: UserEditForm,
    grant_form: GrantRoleForm | None = None,
) -> HttpResponse:
    """A person's page; a refused edit or grant comes back in it with what was typed."""
    refusal = access.account_refusal(request.user, person)
    return render(
        request,
        "branches/person_detail.html",
        {
            "person": person,
            "refusal": refusal,
            # 三员分立: the account and its password are the 系统管理员's, its roles the
            # 安全管理员's; each sees the other's part read-only.
            "can_accounts": not refusal and access.has_perm(request.user, Perm.MANAGE_PEOPLE),
            "can_grant": not refusal and access.has_perm(request.user, Perm.GRANT_ROLES),
            "reads_scores": access.reads_scores(person),
            "form": form,
            "grant_form": grant_form or GrantRoleForm(user=request.user),
            "password_form": SetPasswordForm(),
            "memberships": person.memberships.select_related("organization").order_by(
                "organization__path"
            ),
            "pending_reset": selectors.password_resets(request.user, pending=True)
            .filter(user=person)
            .first(),
        },
    )


@require_POST
@login_required
def person_set_password(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    person = access.get_user(request.user, pk, perm=Perm.MANAGE_PEOPLE)
    form = SetPasswordForm(request.POST)
    if form.is_valid():
        try:
            reset = services.set_password(
                person, by=request.user, password=form.cleaned_data["password1"]
            )
        except BranchesError as exc:
            messages.error(request, f"密码未设置：{exc}")
        else:
            if reset is None:
                messages.success(
                    request,
                    f"已为 {person} 设置新密码，请线下告知本人；其下次登录时须先修改密码。",
                )
            else:
                messages.warning(
                    request,
                    f"{person} 的账号可读取考评分数：新密码须经安全管理员批准后才生效（三员分立）。"
                    "已提交密码重置申请；批准后请线下告知本人，其下次登录时须先修改密码。",
                )
    else:
        messages.error(
            request,
            "密码未设置：" + "；".join(str(m) for errs in form.errors.values() for m in errs),
        )
    return redirect("person_detail", pk=person.pk)


@require_POST
@login_required
def person_grant_role(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    person = access.get_user(request.user, pk, perm=Perm.GRANT_ROLES)
    form = GrantRoleForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            services.grant_role(by=request.user, user=person, **form.cleaned_data)
        except BranchesError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "已授予角色。")
            return redirect("person_detail", pk=person.pk)
    else:
        messages.error(
            request, "请选择组织和角色（安全管理员不能授予系统管理员、审计员或安全管理员）。"
        )
    # Refused: the page again, the grant form with what was chosen.
    return _person_page(request, person, _edit_form(person), grant_form=form)


@require_POST
@login_required
def membership_revoke(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    membership = access.get_membership(request.user, pk)
    try:
        services.revoke_role(membership, by=request.user)
    except BranchesError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已撤销 {membership}。")
    return redirect("person_detail", pk=membership.user_id)


@require_GET
@login_required
def password_reset_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Password resets waiting for a 安全管理员 (and the latest decided)."""
    if not access.manages_people(request.user):
        raise PermissionDenied
    return render(
        request,
        "branches/password_resets.html",
        {
            "pending": selectors.password_resets(request.user, pending=True),
            "decided": selectors.password_resets(request.user, pending=False)[:30],
            "can_decide": access.has_perm(request.user, Perm.GRANT_ROLES),
            "reject_form": RejectResetForm(),
        },
    )


@require_POST
@login_required
def password_reset_approve(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    reset = access.get_password_reset(request.user, pk, decide=True)
    try:
        services.approve_password_reset(reset, by=request.user)
    except BranchesError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"已批准 {reset.user} 的密码重置：新密码已生效，"
            f"由申请人 {reset.requested_by} 线下告知本人，其下次登录时须先修改密码。",
        )
    return redirect("password_reset_list")


@require_POST
@login_required
def password_reset_reject(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    reset = access.get_password_reset(request.user, pk, decide=True)
    form = RejectResetForm(request.POST)
    if not form.is_valid():
        messages.error(request, "驳回须填写理由（不超过 200 字）。")
        return redirect("password_reset_list")
    try:
        services.reject_password_reset(reset, by=request.user, reason=form.cleaned_data["reason"])
    except BranchesError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已驳回 {reset.user} 的密码重置申请，原密码不变。")
    return redirect("password_reset_list")


@require_GET
@login_required
def people_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not access.manages_people(request.user):
        raise PermissionDenied
    return export_download(exports.PeopleExport(by=request.user))


@require_GET
@login_required
def people_template(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not access.manages_people(request.user):
        raise PermissionDenied
    return export_download(exports.PeopleTemplate(by=request.user))


# -- own password -------------------------------------------------------------------------


class PasswordChangeView(auth_views.PasswordChangeView):
    """修改密码, also where a user whose password must be changed is sent (and why)."""

    form_class = OwnPasswordChangeForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["change_reason"] = passwords.change_required(self.request.user)
        return context


# -- audit ------------------------------------------------------------------------------


@require_GET
@login_required
def audit_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    access.require(request.user, Perm.VIEW_AUDIT)
    form = AuditFilterForm(request.GET or None, user=request.user)
    filters = form.filters()
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "branches/audit_list.html",
        {
            "form": form,
            "page": _page(request, selectors.audit_entries(request.user, **filters)),
            "query": query.urlencode(),
        },
    )


@require_GET
@login_required
def audit_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    access.require(request.user, Perm.VIEW_AUDIT)
    form = AuditFilterForm(request.GET or None, user=request.user)
    filename, content_type, content = services.export_audit(
        by=request.user, filters=form.filters(), summary=form.summary()
    )
    return attachment(content, filename=filename, content_type=content_type)


# -- secretary accounts in bulk -----------------------------------------------------------

INITIAL_PASSWORDS = "initial_passwords"  # session keys: shown once, downloaded once
INITIAL_PASSWORDS_FILE = "initial_passwords_file"
SECRETARY_GRANTS = "secretary_grants"  # the grants file for the 安全管理员 (no passwords)


@require_http_methods(["GET", "POST"])
@login_required
def secretary_accounts(request: AuthenticatedHttpRequest) -> HttpResponse:
    """From the tree: a 支部书记 account for every branch without one, in one step.
    Only a people manager (系统管理员) does this; 预览 is a dry run."""
    access.require(request.user, Perm.MANAGE_PEOPLE)
    orgs = list(selectors.branches_without_secretary(request.user))
    form = SecretaryAccountsForm(request.POST or None, orgs=orgs)
    planned = problems = None
    if request.method == "POST" and form.is_valid():
        dry_run = "confirm" not in request.POST
        try:
            done = services.create_secretaries(by=request.user, rows=form.rows(), dry_run=dry_run)
        except services.BulkRefused as exc:
            problems = exc.problems
            messages.error(request, str(exc))
        except BranchesError as exc:
            messages.error(request, str(exc))
        else:
            if dry_run:
                planned = done
            else:
                rows = [
                    [org.code, org.name, user.username, user.name, password]
                    for org, user, password in done
                ]
                request.session[INITIAL_PASSWORDS] = rows
                request.session[INITIAL_PASSWORDS_FILE] = rows
                request.session[SECRETARY_GRANTS] = [
                    [user.username, user.name, "", "", org.code, org.name, Role.SECRETARY.label]
                    for org, user, _ in done
                ]
                return redirect("secretary_accounts_done")
    return render(
        request,
        "branches/secretary_accounts.html",
        {"form": form, "planned": planned, "problems": problems},
    )


@require_GET
@login_required
def secretary_accounts_done(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The initial passwords, shown this once (gone from the session once shown)."""
    access.require(request.user, Perm.MANAGE_PEOPLE)
    rows = request.session.pop(INITIAL_PASSWORDS, None)
    return render(
        request,
        "branches/secretary_accounts_done.html",
        {
            "rows": rows,
            "downloadable": INITIAL_PASSWORDS_FILE in request.session,
            "grants": SECRETARY_GRANTS in request.session,
        },
    )


@require_GET
@login_required
def secretary_accounts_download(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The initial passwords as .xlsx, once (gone from the session once downloaded)."""
    access.require(request.user, Perm.MANAGE_PEOPLE)
    rows = request.session.pop(INITIAL_PASSWORDS_FILE, None)
    if rows is None:
        messages.error(
            request, "初始密码只能下载一次，已下载或已过期。如需重新设置，请在人员详情页重置密码。"
        )
        return redirect("people_list")
    from .toolkit.spreadsheets import XLSX_CONTENT_TYPE, write_xlsx

    content = write_xlsx(
        [("初始密码", ["组织编码", "组织", "工号", "姓名", "初始密码"], rows)],
        widths={"组织": 30, "初始密码": 18},
    )
    return attachment(content, filename="支部书记账号初始密码.xlsx", content_type=XLSX_CONTENT_TYPE)


@require_GET
@login_required
def secretary_accounts_grants(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The new accounts as rows of the people import granting 支部书记 (no passwords): the
    安全管理员 imports it to grant the roles (三员分立: the 系统管理员 grants none)."""
    access.require(request.user, Perm.MANAGE_PEOPLE)
    rows = request.session.get(SECRETARY_GRANTS)
    if rows is None:
        messages.error(request, "没有刚创建的书记账号。请在“人员与角色”中查看未授予角色的账号。")
        return redirect("people_list")
    from .toolkit.spreadsheets import XLSX_CONTENT_TYPE, write_xlsx

    headers = exports.PeopleExport(by=request.user).headers()
    content = write_xlsx([("人员与角色", headers, rows)], widths={"组织名称": 30})
    return attachment(content, filename="支部书记授权表.xlsx", content_type=XLSX_CONTENT_TYPE)
