"""Who may see and do what. Every view asks here.

A membership grants its role over an organization and its whole subtree. An object
outside every subtree the user can see answers 404 (we do not reveal that it exists);
an object the user can see but not act on answers 403.
"""

from collections.abc import Callable
from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet, prefetch_related_objects
from django.http import Http404

from .models import (
    ADMIN_ROLES,
    ROSTER_KINDS,
    ApiToken,
    Member,
    Membership,
    Organization,
    PasswordResetRequest,
    Role,
    TokenScope,
    User,
)


class Perm(StrEnum):
    VIEW_ORG = "view_org"  # read the tree and organization facts
    MANAGE_ORG = "manage_org"  # create, edit, delete, import organizations; cross-review groups
    VIEW_TERMS = "view_terms"  # term reminders (换届提醒)
    MANAGE_PEOPLE = "manage_people"  # accounts: create, edit, disable, reset passwords
    GRANT_ROLES = "grant_roles"  # grant and revoke roles, reset second factors (安全管理员)
    VIEW_AUDIT = "view_audit"  # read and export the audit trail (the 审计员 alone)
    MANAGE_RUBRICS = "manage_rubrics"  # rubric drafts, publishing, new versions
    MANAGE_CAMPAIGNS = "manage_campaigns"  # campaigns, assignment, draws, return, sign-off
    VIEW_RESULTS = "view_results"  # read every sheet and result in scope
    VIEW_MEMBERS = "view_members"  # read a branch's member roster (党员名册)
    MANAGE_MEMBERS = "manage_members"  # add, edit, remove, import members of the roster


ROLE_PERMS: dict[str, frozenset[Perm]] = {
    Role.SECRETARY: frozenset({Perm.VIEW_ORG, Perm.VIEW_MEMBERS, Perm.MANAGE_MEMBERS}),
    Role.REVIEWER: frozenset({Perm.VIEW_ORG}),
    Role.DEPT_ADMIN: frozenset(
        {
            Perm.VIEW_ORG,
            Perm.MANAGE_ORG,
            Perm.VIEW_TERMS,
            Perm.MANAGE_RUBRICS,
            Perm.MANAGE_CAMPAIGNS,
            Perm.VIEW_RESULTS,
            Perm.VIEW_MEMBERS,
            Perm.MANAGE_MEMBERS,
        }
    ),
    Role.LEADER: frozenset({Perm.VIEW_ORG, Perm.VIEW_TERMS, Perm.VIEW_RESULTS, Perm.VIEW_MEMBERS}),
    # 三员分立: the system administrator manages accounts (never roles, never scores, never
    # the audit trail); the security administrator grants and revokes roles (never accounts
    # or passwords); the auditor reads the audit trail and nothing else.
    Role.SYSADMIN: frozenset({Perm.VIEW_ORG, Perm.MANAGE_PEOPLE}),
    Role.AUDITOR: frozenset({Perm.VIEW_AUDIT}),
    Role.SECURITY_ADMIN: frozenset({Perm.VIEW_ORG, Perm.GRANT_ROLES}),
}


# What a service-account token (branches/api) may do over its subtree: the rights of its
# scope, never a role. No scope grants roles, manages accounts or reads the audit trail;
# only READ reads scores (a 党群部 or 领导 right), SYNC writes the tree and the rosters.
TOKEN_PERMS: dict[str, frozenset[Perm]] = {
    TokenScope.READ: frozenset({Perm.VIEW_ORG, Perm.VIEW_MEMBERS, Perm.VIEW_RESULTS}),
    TokenScope.SYNC: frozenset(
        {Perm.VIEW_ORG, Perm.VIEW_MEMBERS, Perm.MANAGE_ORG, Perm.MANAGE_MEMBERS}
    ),
}


def act_as_token(token: ApiToken) -> User:
    """The token's service account, holding the token's rights over its subtree for this
    request only (it holds no role: every rule below reads the rights from here)."""
    account = token.account
    account._membership_cache = []
    account.api_grant = (token.organization, TOKEN_PERMS[token.scope])
    return account


def _membership_rows(user: User) -> list[Membership]:
    """The user's memberships, read once per request by the user's key and cached on the
    user object (their organizations are read by ``memberships`` when asked for)."""
    cached = getattr(user, "_membership_cache", None)
    if cached is None:
        cached = list(user.memberships.order_by()) if user.pk else []
        user._membership_cache = cached
    return cached


def memberships(user: User) -> list[Membership]:
    """The user's memberships with their organizations, by organization path.

    Two reads by key (the memberships, then their organizations), not one join:
    PostgreSQL, its statistics taken before the newest branches existed, merged that join
    along every organization's key to reach a new secretary's branch (17 ms a request at
    50,000 branches). A request that needs only the roles reads no organization."""
    if not user.is_authenticated:
        return []
    cached = _membership_rows(user)
    if cached and not getattr(user, "_membership_orgs", False):
        prefetch_related_objects(cached, "organization")
        cached.sort(key=lambda m: (m.organization.path, m.role))
        user._membership_orgs = True
    return cached


def roles(user: User) -> set[str]:
    """The user's roles, wherever held (every request asks, for the second-factor rule)."""
    if not user.is_authenticated:
        return set()
    return {m.role for m in _membership_rows(user)}


def _tops(user: User, perm: Perm | None) -> list[Organization]:
    """The organizations at the top of the subtrees where the user holds ``perm`` (any
    role when None)."""
    grant = getattr(user, "api_grant", None)
    if grant is not None:
        organization, perms = grant
        return [organization] if perm is None or perm in perms else []
    return [m.organization for m in memberships(user) if perm is None or perm in ROLE_PERMS[m.role]]


def _roots(user: User, perm: Perm | None) -> list[str]:
    """Paths of the subtrees where the user holds ``perm`` (any role when None)."""
    return [o.path for o in _tops(user, perm)]


def _subtree_q(paths: list[str], field: str = "path", lookup: str = "subtree") -> Q:
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(**{f"{field}__{lookup}": path})
    return q


def has_perm(user: User, perm: Perm, org: Organization | None = None) -> bool:
    """True if the user holds ``perm`` over ``org`` (anywhere, when org is None)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    paths = _roots(user, perm)
    if org is None:
        return bool(paths)
    return any(org.path.startswith(path) for path in paths)


def visible_orgs(user: User, perm: Perm = Perm.VIEW_ORG) -> QuerySet[Organization]:
    """The organizations in the user's subtrees. Taken by their tree keys (a subtree's keys
    begin with its top's), the same set as by their paths, so that the lists of
    organizations, which follow the tree's order, are chosen and ordered by one index."""
    qs = Organization.objects.all()
    if user.is_superuser:
        return qs
    keys = [o.tree_key for o in _tops(user, perm)]
    return qs.filter(_subtree_q(keys, "tree_key", "keyprefix"))


def scope_paths(user: User, perm: Perm = Perm.VIEW_ORG) -> list[str] | None:
    """Paths of the subtrees ``visible_orgs`` is made of (None: the whole tree)."""
    return None if user.is_superuser else _roots(user, perm)


def scope_q(user: User, perm: Perm, field: str) -> Q:
    """A filter on ``field`` (an organization path) limited to where the user holds perm."""
    if user.is_superuser:
        return Q()
    return _subtree_q(_roots(user, perm), field)


def require(user: User, perm: Perm) -> None:
    """403 unless the user holds ``perm`` somewhere."""
    if not has_perm(user, perm):
        raise PermissionDenied


def require_any(user: User, *perms: Perm) -> None:
    """403 unless the user holds one of ``perms`` somewhere."""
    if not any(has_perm(user, perm) for perm in perms):
        raise PermissionDenied


def get_org(user: User, pk: int, perm: Perm = Perm.VIEW_ORG) -> Organization:
    """The organization if the user may see it (else 404) and holds perm on it (else 403)."""
    try:
        org = visible_orgs(user).select_related("parent", "enterprise").get(pk=pk)
    except (Organization.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("组织不存在或无权查看") from None
    if not has_perm(user, perm, org):
        raise PermissionDenied
    return org


def can_read_scores(user: User, org: Organization) -> bool:
    """The one rule for reading an organization's scores, grades and what they led to
    (历年考评, consequences, the 依据 of its category): VIEW_RESULTS over it (the department,
    leaders) or being its own secretary. Seeing the organization is not enough: the
    系统管理员, the 审计员 and reviewers as such do not read results (a reviewer reads the
    sheets it scores through the sheet's own rule)."""
    if has_perm(user, Perm.VIEW_RESULTS, org):
        return True
    return any(m.role == Role.SECRETARY and m.organization_id == org.pk for m in memberships(user))


def get_scores_org(user: User, pk: int) -> Organization:
    """An organization whose results the user may read: 404 outside what they see, 403
    without ``can_read_scores``."""
    org = get_org(user, pk)
    if not can_read_scores(user, org):
        raise PermissionDenied
    return org


def get_roster_org(user: User, pk: int, perm: Perm = Perm.VIEW_MEMBERS) -> Organization:
    """A branch whose roster the user may read (404 outside their scope or for an
    organization without a roster), 403 without ``perm`` over it."""
    org = get_org(user, pk)
    if org.kind not in ROSTER_KINDS:
        raise Http404("该组织没有党员名册")
    if not has_perm(user, perm, org):
        raise PermissionDenied
    return org


def get_member(user: User, pk: int, perm: Perm = Perm.VIEW_MEMBERS) -> Member:
    """A member of a roster the user may see (else 404), with ``perm`` over it (else 403)."""
    try:
        member = (
            Member.objects.filter(scope_q(user, Perm.VIEW_ORG, "organization__path"))
            .select_related("organization", "user")
            .get(pk=pk)
        )
    except (Member.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("党员不存在或无权查看") from None
    if not has_perm(user, perm, member.organization):
        raise PermissionDenied
    return member


def people_roots(user: User) -> list[str]:
    """Subtrees where the user manages accounts (系统管理员) or grants roles (安全管理员)."""
    return _roots(user, Perm.MANAGE_PEOPLE) + _roots(user, Perm.GRANT_ROLES)


def people_scope_q(user: User, field: str) -> Q:
    """``scope_q`` for the people pages: where the user manages accounts or grants roles."""
    if user.is_superuser:
        return Q()
    return _subtree_q(people_roots(user), field)


def manages_people(user: User) -> bool:
    """May open the people pages: accounts (系统管理员) or roles (安全管理员)."""
    return has_perm(user, Perm.MANAGE_PEOPLE) or has_perm(user, Perm.GRANT_ROLES)


def visible_users(user: User) -> QuerySet[User]:
    """Accounts a people manager may see: those holding a role inside their subtrees,
    and accounts with no role yet (just created or imported). Superusers are invisible
    to everyone but a superuser."""
    qs = User.objects.all()
    if user.is_superuser:
        return qs
    paths = people_roots(user)
    if not paths:
        return qs.none()
    return (
        qs.filter(
            Q(
                pk__in=Membership.objects.filter(_subtree_q(paths, "organization__path")).values(
                    "user"
                )
            )
            | Q(memberships__isnull=True)
        )
        .exclude(is_superuser=True)
        # A token's service account is managed on 接口令牌 only: no password, no role.
        .exclude(api_token__isnull=False)
        .distinct()
    )


def account_refusal(user: User, person: User, *, admin_ids: set[int] | None = None) -> str | None:
    """Why ``user`` may not change ``person``'s account, password or roles (None: may).

    三员分立: a system or security administrator acts on other people only: never on
    itself (its own password through 修改密码 like everyone), never on a superuser, never
    on a holder of an administrator role (a superuser manages those). ``admin_ids`` (the
    holders of those roles, from ``admin_role_holders``) saves a query per person when
    many are checked at once, as an import does."""
    if user.is_superuser:
        return None
    if person.pk == user.pk:
        return "不能在人员管理中修改自己的账号、密码或角色（修改自己的密码请用“修改密码”）。"
    if person.is_superuser:
        return "不能管理超级管理员的账号。"
    if admin_ids is not None:
        is_admin = person.pk in admin_ids
    else:
        is_admin = person.memberships.filter(role__in=ADMIN_ROLES).exists()
    if is_admin:
        return "不能管理系统管理员、安全管理员或审计员的账号，请联系超级管理员。"
    return None


def admin_role_holders() -> set[int]:
    """The ids of everyone holding an administrator role (see ``account_refusal``)."""
    return set(Membership.objects.filter(role__in=ADMIN_ROLES).values_list("user_id", flat=True))


def get_user(user: User, pk: int, *, perm: Perm | None = None) -> User:
    """The account if the user may see it on the people pages (else 404); with ``perm``
    (MANAGE_PEOPLE to change the account, GRANT_ROLES to change its roles), 403 unless the
    user holds it and may act on this person (account_refusal)."""
    if not manages_people(user):
        raise PermissionDenied
    try:
        person = visible_users(user).get(pk=pk)
    except (User.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("用户不存在或无权查看") from None
    if perm is not None and (not has_perm(user, perm) or account_refusal(user, person)):
        raise PermissionDenied
    return person


def get_membership(user: User, pk: int) -> Membership:
    """A role grant the user may revoke: 404 outside the subtrees where they grant roles,
    403 when the holder is beyond them (account_refusal)."""
    if not has_perm(user, Perm.GRANT_ROLES):
        raise PermissionDenied
    try:
        membership = (
            Membership.objects.filter(scope_q(user, Perm.GRANT_ROLES, "organization__path"))
            .select_related("user", "organization")
            .get(pk=pk)
        )
    except (Membership.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("角色授权不存在或无权查看") from None
    if account_refusal(user, membership.user):
        raise PermissionDenied
    return membership


def get_password_reset(user: User, pk: int, *, decide: bool = False) -> PasswordResetRequest:
    """A password reset request for an account the user sees on the people pages (else
    404); with ``decide``, 403 unless the user grants roles (the 安全管理员) and may act on
    that account."""
    if not manages_people(user):
        raise PermissionDenied
    try:
        reset = (
            PasswordResetRequest.objects.filter(user__in=visible_users(user))
            .select_related("user", "requested_by", "decided_by")
            .get(pk=pk)
        )
    except (PasswordResetRequest.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("密码重置申请不存在或无权查看") from None
    if decide and (not has_perm(user, Perm.GRANT_ROLES) or account_refusal(user, reset.user)):
        raise PermissionDenied
    return reset


def grantable_roles(user: User) -> list[tuple[str, str]]:
    """Roles the user may grant: a security administrator the business roles, a
    superuser every role (the administrator roles only by a superuser); nobody else any."""
    if user.is_superuser:
        return list(Role.choices)
    if not has_perm(user, Perm.GRANT_ROLES):
        return []
    return [(value, label) for value, label in Role.choices if value not in ADMIN_ROLES]


# Bindings outside the role table through which an account reads or enters scores (an
# assessor of a score sheet, an inspector of a 互查, a pairing's helper): other apps add
# a check here (the assessments app does, as it starts), so that this low module needs
# not know their models.
SCORE_BINDINGS: list[Callable[[User], bool]] = []


def reads_scores(person: User) -> bool:
    """True if the account reads or enters scores: a superuser, any business role
    (支部书记, 考评员, 党群部管理员, 领导: every role but the administrators'), or a
    binding of ``SCORE_BINDINGS``. 三员分立 keeps such an account out of one person's
    reach: only the 安全管理员 grants those roles, and the 系统管理员's password reset of
    such an account waits for a 安全管理员's approval."""
    if person.is_superuser:
        return True
    if person.memberships.exclude(role__in=ADMIN_ROLES).exists():
        return True
    return any(binding(person) for binding in SCORE_BINDINGS)


def token_scope_q(user: User, field: str = "organization__path") -> Q:
    """Where the user sees service-account tokens: the 安全管理员 where they grant roles
    (and manages them there), the 审计员 where they read the audit trail (their uses
    included, read-only)."""
    return scope_q(user, Perm.GRANT_ROLES, field) | scope_q(user, Perm.VIEW_AUDIT, field)


def can_see_tokens(user: User) -> bool:
    return has_perm(user, Perm.GRANT_ROLES) or has_perm(user, Perm.VIEW_AUDIT)


def get_api_token(user: User, pk: int, *, manage: bool = False) -> ApiToken:
    """A service-account token: 403 for anyone but the 安全管理员 and the 审计员 (and,
    with ``manage``, anyone but the 安全管理员), 404 outside the subtrees where they see
    tokens (``token_scope_q``)."""
    if not (has_perm(user, Perm.GRANT_ROLES) if manage else can_see_tokens(user)):
        raise PermissionDenied
    field = "organization__path"
    where = scope_q(user, Perm.GRANT_ROLES, field) if manage else token_scope_q(user, field)
    try:
        return (
            ApiToken.objects.filter(where)
            .select_related("organization", "account", "created_by", "revoked_by")
            .get(pk=pk)
        )
    except (ApiToken.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("接口令牌不存在或无权查看") from None
