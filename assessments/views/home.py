"""The home page: each person's tasks, the leaders' dashboard and the organization counts."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from branches import access
from branches.access import Perm
from branches.directory.selectors import pending_count as pending_role_proposals
from branches.models import TERM_WARNING_DAYS, OrgKind, Role
from branches.selectors import BELOW_MINIMUM, password_resets, term_reminders
from branches.toolkit.http import AuthenticatedHttpRequest

from ..meetings.selectors import still_due_this_month
from ..pages import dashboard, running_campaigns
from ..workbench import workbench


@require_GET
@login_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    my_roles = access.roles(user)
    secretary_of = [m.organization for m in access.memberships(user) if m.role == Role.SECRETARY]
    context = {
        "is_secretary": Role.SECRETARY in my_roles,
        "is_reviewer": Role.REVIEWER in my_roles,
        "is_dept_admin": Role.DEPT_ADMIN in my_roles or user.is_superuser,
        "is_leader": Role.LEADER in my_roles,
        "is_sysadmin": Role.SYSADMIN in my_roles or user.is_superuser,
        "is_auditor": Role.AUDITOR in my_roles or user.is_superuser,
        "is_security_admin": Role.SECURITY_ADMIN in my_roles or user.is_superuser,
        "secretary_of": secretary_of,
        "memberships": access.memberships(user),
    }
    work = workbench(user)
    # Work given by a pairing, an inspection or a roster link counts: only someone with
    # neither a role nor any open work is told to ask for a role.
    context["no_role"] = not my_roles and not user.is_superuser and not work
    if context["is_security_admin"]:
        context["pending_resets"] = password_resets(user, pending=True).count()
        context["pending_role_proposals"] = pending_role_proposals(user)
    context["meetings_due"] = [(org, still_due_this_month(org)) for org in secretary_of]
    context["work"] = work
    context["tasks"] = work.tasks
    context["running"] = running_campaigns(user)
    context["dashboard"] = dashboard(user)
    if access.has_perm(user, Perm.VIEW_TERMS):
        reminders = term_reminders(user)
        context["term_reminders"] = reminders[:8]
        context["term_reminder_count"] = reminders.count()
        context["term_warning_days"] = TERM_WARNING_DAYS
    if access.has_perm(user, Perm.VIEW_ORG):
        visible = access.visible_orgs(user)
        context["org_counts"] = {
            "branches": visible.filter(kind=OrgKind.BRANCH).count(),
            "below_minimum": visible.filter(BELOW_MINIMUM).count(),
            "weak": visible.filter(weak_and_lax=True).count(),
        }
    return render(request, "assessments/home.html", context)
