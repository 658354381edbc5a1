"""Every write to organizations, people, roles and cross-review groups.

Services take the acting user as ``by`` and run inside a transaction; the audit
trail is written by branches.toolkit.audit for each row they change.
"""

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone

from .models import (
    CrossReviewGroup,
    CrossReviewGroupMember,
    Membership,
    Organization,
    OrgKind,
    PasswordResetRequest,
    ResetStatus,
    Role,
    User,
    tree_key,
)
from .toolkit import audit


class BranchesError(Exception):
    """A refused change; the message is shown to the user as is (Chinese)."""


def service[**P, R](func: Callable[P, R]) -> Callable[P, R]:
    """Run a write in one transaction with the audit trail attributed to ``by``."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with transaction.atomic(), audit.acting(kwargs["by"], audit.current().source):
            return func(*args, **kwargs)

    return wrapper


def _check_account(by: User, user: User) -> None:
    from .access import account_refusal

    if reason := account_refusal(by, user):
        raise BranchesError(reason)


def _check_accounts_admin(by: User) -> None:
    """三员分立: accounts and passwords are the 系统管理员's (or a superuser's)."""
    from .access import Perm, has_perm

    if not has_perm(by, Perm.MANAGE_PEOPLE):
        raise BranchesError("只有系统管理员可以创建、修改账号或设置密码。")


def _joined(exc: ValidationError) -> str:
    """Several messages as one sentence: "密码太短；不能包含工号。" (not "。；")."""
    return "；".join(m.rstrip("。") for m in exc.messages) + "。"


def _full_clean(obj, **kwargs) -> None:
    try:
        obj.full_clean(**kwargs)
    except ValidationError as exc:
        raise BranchesError(_joined(exc)) from None


# -- the tree ---------------------------------------------------------------------------


def place_subtree(org: Organization) -> None:
    """Recompute path, depth, tree key and enterprise for ``org`` and, if they moved, its
    subtree (a new parent or a new code).

    Written with queryset.update() so that these derived columns never show up in the
    audit trail as changes of their own.
    """
    parent = org.parent if org.parent_id else None
    path = f"{parent.path if parent else '/'}{org.pk}/"
    depth = parent.depth + 1 if parent else 0
    key = tree_key(parent.tree_key if parent else "", org.code)
    enterprise_id: int | None
    if org.kind == OrgKind.COMMITTEE:
        enterprise_id = org.pk
    else:
        enterprise_id = parent.enterprise_id if parent else None
    if (path, depth, key, enterprise_id) == (org.path, org.depth, org.tree_key, org.enterprise_id):
        return
    Organization.objects.filter(pk=org.pk).update(
        path=path, depth=depth, tree_key=key, enterprise_id=enterprise_id
    )
    org.path, org.depth, org.tree_key, org.enterprise_id = path, depth, key, enterprise_id
    for child in Organization.objects.filter(parent=org):
        child.parent = org
        place_subtree(child)


def _check_scope(by: User, org_parent: Organization | None) -> None:
    from .access import Perm, has_perm

    if org_parent is None:
        if not by.is_superuser:
            raise BranchesError("只有超级管理员可以创建顶层党委。")
        return
    if not has_perm(by, Perm.MANAGE_ORG, org_parent):
        raise BranchesError("上级组织不在您的管理范围内。")


@service
def create_organization(*, by: User, data: dict[str, Any]) -> Organization:
    org = Organization(**data)
    _check_scope(by, org.parent)
    _full_clean(org)
    org.save()
    place_subtree(org)
    return org


@service
def update_organization(org: Organization, *, by: User, data: dict[str, Any]) -> Organization:
    org = Organization.objects.select_for_update().get(pk=org.pk)
    if data.get("category", org.category) != org.category:
        org.category_source = ""  # set by hand now: no decision stands behind it
    for field, value in data.items():
        setattr(org, field, value)
    if "parent" in data:
        _check_scope(by, org.parent)
    _full_clean(org)
    org.save()
    place_subtree(org)
    return org


@service
def delete_organization(org: Organization, *, by: User) -> None:
    org = Organization.objects.select_for_update().get(pk=org.pk)
    if org.children.exists():
        raise BranchesError(
            f"“{org.name}”下还有 {org.children.count()} 个下级组织，请先删除或移走。"
        )
    if org.memberships.exists():
        raise BranchesError(f"“{org.name}”还有 {org.memberships.count()} 项角色授权，请先撤销。")
    try:
        org.delete()
    except ProtectedError:
        raise BranchesError(f"“{org.name}”已被考评或互评组引用，不能删除。") from None


# -- people -----------------------------------------------------------------------------


@service
def create_user(
    *,
    by: User,
    username: str,
    name: str,
    email: str = "",
    phone: str = "",
    password: str | None = None,
) -> User:
    """A new account, with no role: roles are the 安全管理员's to grant (三员分立)."""
    _check_accounts_admin(by)
    username = username.strip()
    if User.objects.filter(username__iexact=username).exists():
        raise BranchesError(f"工号“{username}”已存在。")
    user = User(username=username, name=name.strip(), email=email.strip(), phone=phone.strip())
    if password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise BranchesError(_joined(exc)) from None
        user.set_password(password)
        user.must_change_password = True  # an initial password is the administrator's
    else:
        user.set_unusable_password()
    _full_clean(user, exclude=["password"])
    user.save()
    return user


@service
def update_user(
    user: User, *, by: User, name: str, email: str, phone: str, is_active: bool
) -> User:
    if user.pk == by.pk and not is_active:
        raise BranchesError("不能停用自己的账号。")
    _check_accounts_admin(by)
    _check_account(by, user)
    user.name, user.email, user.phone, user.is_active = (
        name.strip(),
        email.strip(),
        phone,
        is_active,
    )
    _full_clean(user, exclude=["password"])
    user.save()
    return user


@service
def set_password(user: User, *, by: User, password: str) -> PasswordResetRequest | None:
    """An administrator sets someone's password: they must change it at their next login.

    三员分立: for an account that reads scores (``access.reads_scores``) the 系统管理员's
    new password waits as a request until a 安全管理员 approves it (returned; None when the
    password took effect at once)."""
    from .access import reads_scores

    _check_accounts_admin(by)
    _check_account(by, user)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise BranchesError(_joined(exc)) from None
    if not by.is_superuser and reads_scores(user):
        # The account's row lock makes two requests at once wait for each other, so the
        # second meets the first (and its message) instead of the unique constraint.
        User.objects.select_for_update().filter(pk=user.pk).first()
        if user.password_resets.filter(status=ResetStatus.PENDING).exists():
            raise BranchesError("该账号已有待批准的密码重置申请，请等待安全管理员审批。")
        return PasswordResetRequest.objects.create(
            user=user, password=make_password(password), requested_by=by
        )
    user.set_password(password)
    user.must_change_password = user.pk != by.pk
    user.save()
    return None


def _decide(reset: PasswordResetRequest, *, by: User) -> PasswordResetRequest:
    """The request, locked, if ``by`` may decide it now."""
    from .access import Perm, account_refusal, has_perm, visible_users

    reset = PasswordResetRequest.objects.select_for_update().select_related("user").get(pk=reset.pk)
    if reset.status != ResetStatus.PENDING:
        raise BranchesError(f"该申请{reset.get_status_display()}，不能再审批。")
    if (
        not has_perm(by, Perm.GRANT_ROLES)
        or not visible_users(by).filter(pk=reset.user_id).exists()
    ):
        raise BranchesError("该账号不在您的授权管理范围内。")
    if reset.requested_by_id == by.pk:
        raise BranchesError("不能审批自己提出的密码重置申请。")
    if reason := account_refusal(by, reset.user):
        raise BranchesError(reason)
    return reset


@service
def approve_password_reset(reset: PasswordResetRequest, *, by: User) -> PasswordResetRequest:
    """The 安全管理员 approves: the requested password becomes the account's, to be
    changed at the next login (the requester tells the owner, as for any reset)."""
    reset = _decide(reset, by=by)
    reset.status, reset.decided_by, reset.decided_at = ResetStatus.APPROVED, by, timezone.now()
    reset.save()
    user = reset.user
    user.password = reset.password
    user.must_change_password = True
    user.save()  # the password history records it (branches.passwords.user_saved)
    return reset


@service
def reject_password_reset(
    reset: PasswordResetRequest, *, by: User, reason: str
) -> PasswordResetRequest:
    if not reason.strip():
        raise BranchesError("驳回须填写理由。")
    reset = _decide(reset, by=by)
    reset.status, reset.decided_by, reset.decided_at = ResetStatus.REJECTED, by, timezone.now()
    reset.reason = reason.strip()[:200]
    reset.save()
    return reset


@service
def grant_role(*, by: User, user: User, organization: Organization, role: str) -> Membership:
    """三员分立: the 安全管理员 grants business roles within its subtree, never to itself;
    a superuser alone grants the administrator roles."""
    from .access import Perm, grantable_roles, has_perm

    if not has_perm(by, Perm.GRANT_ROLES):
        raise BranchesError("只有安全管理员可以授予或撤销角色。")
    if role not in dict(grantable_roles(by)):
        raise BranchesError(
            "您不能授予该角色（系统管理员、安全管理员、审计员只能由超级管理员授予）。"
        )
    _check_account(by, user)
    if not has_perm(by, Perm.GRANT_ROLES, organization):
        raise BranchesError("该组织不在您的授权管理范围内。")
    membership = Membership(user=user, organization=organization, role=role)
    _full_clean(membership)
    membership.save()
    return membership


@service
def revoke_role(membership: Membership, *, by: User) -> None:
    from .access import Perm, has_perm

    if not has_perm(by, Perm.GRANT_ROLES, membership.organization):
        raise BranchesError("只有安全管理员可以在其授权管理范围内撤销角色。")
    _check_account(by, membership.user)
    membership.delete()


# -- cross-review groups ------------------------------------------------------------------


@service
def save_cross_review_group(
    *,
    by: User,
    group: CrossReviewGroup | None,
    owner: Organization,
    name: str,
    enterprises: list[Organization],
) -> CrossReviewGroup:
    from .access import Perm, has_perm

    if not has_perm(by, Perm.MANAGE_ORG, owner):
        raise BranchesError("该单位不在您的管理范围内。")
    for enterprise in enterprises:
        if enterprise.kind != OrgKind.COMMITTEE or not enterprise.is_in_subtree_of(owner):
            raise BranchesError(f"“{enterprise.name}”不是{owner.name}下属的企业党委。")
        if enterprise.pk == owner.pk:
            raise BranchesError("组织单位本身不能作为互评组成员。")
    taken = CrossReviewGroupMember.objects.filter(enterprise__in=enterprises)
    if group is not None:
        taken = taken.exclude(group=group)
    if clash := taken.select_related("enterprise", "group").first():
        raise BranchesError(f"“{clash.enterprise.name}”已在互评组“{clash.group.name}”中。")
    if group is None:
        group = CrossReviewGroup(owner=owner, name=name.strip())
    else:
        group.owner, group.name = owner, name.strip()
    _full_clean(group)
    group.save()
    wanted = {e.pk for e in enterprises}
    current = {m.enterprise_id: m for m in group.members.all()}
    for enterprise_id, member in current.items():
        if enterprise_id not in wanted:
            member.delete()
    for enterprise in enterprises:
        if enterprise.pk not in current:
            CrossReviewGroupMember.objects.create(group=group, enterprise=enterprise)
    return group


@service
def delete_cross_review_group(group: CrossReviewGroup, *, by: User) -> None:
    for member in group.members.all():
        member.delete()
    group.delete()


# -- the audit trail (read-only: only its exports are recorded) ----------------------------


def export_audit(*, by: User, filters: dict, summary: str) -> tuple[str, str, bytes]:
    """The auditor's Excel export of the filtered trail (``summary``: the filters as
    the auditor reads them); the export itself is recorded."""
    from .exports import AuditExport

    with transaction.atomic(), audit.acting(by, audit.current().source):
        rendered = AuditExport(by=by, filters=filters).render()
        audit.record_export(by=by, what="导出审计记录（Excel）", summary=summary)
    return rendered


# -- secretary accounts in bulk -----------------------------------------------------------


class BulkRefused(BranchesError):
    """A bulk request with problems: nothing was written; ``problems`` lists them."""

    def __init__(self, problems: list[str]):
        super().__init__(f"有 {len(problems)} 处问题，未创建任何账号。")
        self.problems = problems


def initial_password() -> str:
    """A random initial password meeting every rule (12 characters, four classes, no
    look-alike characters)."""
    import secrets

    upper, lower, digits, symbols = (
        "ABCDEFGHJKLMNPQRSTUVWXYZ",
        "abcdefghijkmnpqrstuvwxyz",
        "23456789",
        "@#%+=?",
    )
    chars = [
        secrets.choice(upper),
        secrets.choice(lower),
        secrets.choice(digits),
        secrets.choice(symbols),
    ]
    chars += [secrets.choice(upper + lower + digits) for _ in range(8)]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


def create_secretaries(
    *, by: User, rows: list[tuple[Organization, str, str]], dry_run: bool = False
) -> list[tuple[Organization, User, str]]:
    """One account for each (organization, 工号, 姓名) meant for its 支部书记: created
    with a random initial password that must be changed at the first login, and no role
    (三员分立: the 安全管理员 grants 支部书记 afterwards). All or none: any problem refuses
    the whole request. Only the 系统管理员 does this. Returns (organization, account,
    password); a dry run returns unsaved accounts and no passwords."""
    from .access import Perm, has_perm

    if not rows:
        raise BranchesError("请至少选择一个组织。")
    problems: list[str] = []
    taken = {u.lower() for u in User.objects.values_list("username", flat=True)}
    seen: set[str] = set()
    has_secretary = set(
        Membership.objects.filter(
            role=Role.SECRETARY, organization__in=[org for org, _, _ in rows]
        ).values_list("organization_id", flat=True)
    )
    planned = []
    for org, username, name in rows:
        username, name = username.strip(), name.strip()
        if not has_perm(by, Perm.MANAGE_PEOPLE, org):
            problems.append(f"{org.name}：不在您的账号管理范围内。")
        elif org.pk in has_secretary:
            problems.append(f"{org.name}：已有支部书记账号。")
        elif not username:
            problems.append(f"{org.name}：工号不能为空。")
        elif username.lower() in taken or username.lower() in seen:
            problems.append(f"{org.name}：工号“{username}”已存在。")
        else:
            user = User(username=username, name=name or org.secretary_name)
            try:
                user.full_clean(exclude=["password"])
            except ValidationError as exc:
                problems.append(f"{org.name}：{_joined(exc)}")
                continue
            seen.add(username.lower())
            planned.append((org, user))
    if problems:
        raise BulkRefused(problems)
    if dry_run:
        return [(org, user, "") for org, user in planned]
    return _create_secretaries(planned, by=by)


@service
def _create_secretaries(
    planned: list[tuple[Organization, User]], *, by: User
) -> list[tuple[Organization, User, str]]:
    created = []
    for org, planned_user in planned:
        password = initial_password()
        user = create_user(
            by=by, username=planned_user.username, name=planned_user.name, password=password
        )
        created.append((org, user, password))
    return created
