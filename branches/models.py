"""Organization tree, people, roles, cross-review groups and the audit trail."""

import uuid
from collections.abc import Callable
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from .toolkit import audit_chain, audit_display, lookups  # noqa: F401  (registers __subtree)
from .toolkit.import_registry import REGISTRY
from .toolkit.labels import choice_label
from .toolkit.periods import add_years


class User(AbstractUser):
    """A person who logs in. ``username`` is the employee number (工号)."""

    # AbstractUser's field, named 工号 so that messages (e.g. the password similarity
    # check: "密码跟 工号 太相似了") use the word people know.
    username = models.CharField(
        "工号",
        max_length=150,
        unique=True,
        help_text="必填；不超过 150 个字符，只能包含字母、数字和 @ . + - _。",
        validators=[AbstractUser.username_validator],
        error_messages={"unique": "该工号已存在。"},
    )
    name = models.CharField("姓名", max_length=50, blank=True)
    phone = models.CharField("手机", max_length=20, blank=True)
    # Set when an administrator sets the password; cleared when the owner changes it.
    # While set (or while the password is older than PASSWORD_MAX_AGE_DAYS) every page
    # sends the user to the change-password page (branches.toolkit.middleware).
    must_change_password = models.BooleanField("下次登录须修改密码", default=False)
    password_changed_at = models.DateTimeField("密码修改时间", default=timezone.now)

    # Set on the request's user by django_otp's OTPMiddleware: whether this session has
    # passed the second factor.
    is_verified: Callable[[], bool]
    # The user's memberships, read once per request (branches.access.memberships).
    _membership_cache: list["Membership"]
    _membership_orgs: bool  # their organizations read too
    # Set only on a token's service account while it serves an API request
    # (branches.access.act_as_token): the subtree's path and the token's rights.
    api_grant: tuple["Organization", frozenset]

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"
        ordering = ["username"]

    def __str__(self) -> str:
        return f"{self.name}（{self.username}）" if self.name else self.username

    def get_full_name(self) -> str:
        return self.name or self.username


class OrgKind(models.TextChoices):
    COMMITTEE = "committee", "党委"
    GENERAL_BRANCH = "general_branch", "党总支"
    BRANCH = "branch", "党支部"
    GROUP = "group", "党小组"


# Which kinds may stand directly under which (None: a root). A 党支部 may sit
# directly under a 党委 or under a 党总支; a 党小组 only under a 党支部.
ALLOWED_PARENT_KINDS: dict[str, set[str | None]] = {
    OrgKind.COMMITTEE: {None, OrgKind.COMMITTEE},
    OrgKind.GENERAL_BRANCH: {OrgKind.COMMITTEE},
    OrgKind.BRANCH: {OrgKind.COMMITTEE, OrgKind.GENERAL_BRANCH},
    OrgKind.GROUP: {OrgKind.BRANCH},
}

# Term length in years (支部、总支 every 2–3 years; 委员会 3–5 years).
TERM_YEARS: dict[str, tuple[int, int]] = {
    OrgKind.COMMITTEE: (3, 5),
    OrgKind.GENERAL_BRANCH: (2, 3),
    OrgKind.BRANCH: (2, 3),
}

# Elections rarely fall on the anniversary to the day: allow a month either way.
TERM_SLACK = timedelta(days=31)

# 换届提醒: a term that ends within this many days, or has ended, is due for an election.
TERM_WARNING_DAYS = 90


def term_rule() -> str:
    """TERM_YEARS in words, the smaller organizations first: "党支部、党总支每届 2–3 年，
    党委 3–5 年"."""
    by_years: dict[tuple[int, int], list[str]] = {}
    for kind, years in reversed(TERM_YEARS.items()):
        by_years.setdefault(years, []).append(OrgKind(kind).label)
    return "，".join(
        f"{'、'.join(kinds)}每届 {low}–{high} 年" for (low, high), kinds in by_years.items()
    )


def term_due_q(today: date | None = None) -> Q:
    """Organizations whose term is due (the query twin of ``Organization.term_due``)."""
    today = today or timezone.localdate()
    return Q(term_end__isnull=False, term_end__lte=today + timedelta(days=TERM_WARNING_DAYS))


# The documents require 3 full members to form a 党支部 (联合党支部 exist for fewer).
MIN_BRANCH_FULL_MEMBERS = 3


class Category(models.TextChoices):
    ADVANCED = "advanced", "先进"
    ORDINARY = "ordinary", "一般"
    LAGGING = "lagging", "后进"


def tree_key(parent_key: str, code: str) -> str:
    """The sort key of the node with ``code`` under the node keyed ``parent_key``: each
    ancestor's code, then its own, as the hex of its UTF-8 bytes closed by "00". Digits
    and a–f only, so every database collation orders keys as bytes: a node's subtree sorts
    right after it (its key is a prefix of theirs, and "00" is below any byte of a code),
    siblings by code."""
    return f"{parent_key}{code.encode().hex()}00"


class Organization(models.Model):
    code = models.CharField("编码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=100)
    kind = models.CharField("类型", max_length=20, choices=OrgKind)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级组织",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    # Maintained by services.place_subtree(): the nearest 党委 at or above this node,
    # and the materialized path of primary keys ("/1/7/12/") used to scope by subtree.
    # DO_NOTHING: the enterprise is this node or an ancestor, and ancestors cannot be
    # deleted while descendants exist (parent is PROTECT); a 党委 refers to itself.
    enterprise = models.ForeignKey(
        "self",
        verbose_name="所属党委",
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    path = models.CharField(max_length=512, editable=False, db_index=True, default="")
    depth = models.PositiveSmallIntegerField(editable=False, default=0)
    # Also maintained there: the tree's pre-order, children by code, as one sortable key
    # (``tree_key``), so a page of the tree is an indexed read.
    tree_key = models.CharField(max_length=2048, editable=False, db_index=True, default="")

    is_joint = models.BooleanField("联合党支部", default=False)
    established_on = models.DateField("成立日期", null=True, blank=True)
    term_start = models.DateField("本届任期开始", null=True, blank=True)
    term_end = models.DateField("本届任期届满", null=True, blank=True)
    full_members = models.PositiveIntegerField("正式党员数", default=0)
    probationary_members = models.PositiveIntegerField("预备党员数", default=0)
    category = models.CharField("类别", max_length=20, choices=Category, default=Category.ORDINARY)
    # Where the category comes from when a decision set it: a year's 过筛子 or a result's
    # consequence (纳入后进党组织); empty when it was set by hand. The latest decision wins.
    category_source = models.CharField("类别依据", max_length=200, blank=True, editable=False)
    weak_and_lax = models.BooleanField("软弱涣散", default=False)
    star_level = models.PositiveSmallIntegerField("星级", default=0)
    secretary_name = models.CharField("书记", max_length=50, blank=True)
    committee_members = models.CharField(
        "委员", max_length=300, blank=True, help_text="多人以顿号“、”分隔"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    # The organization's profile facts, after its identity and place in the tree: what
    # its form and its spreadsheet edit, in this order.
    PROFILE_FIELDS = (
        "is_joint",
        "established_on",
        "term_start",
        "term_end",
        "full_members",
        "probationary_members",
        "category",
        "weak_and_lax",
        "star_level",
        "secretary_name",
        "committee_members",
    )

    class Meta:
        verbose_name = "党组织"
        verbose_name_plural = "党组织"
        ordering = ["path"]
        # Lists choose, order and count one kind in a subtree (党支部 under one's scope, in
        # the tree's order) from this index alone.
        indexes = [models.Index(fields=["kind", "tree_key"], name="org_kind_tree")]
        constraints = [
            models.CheckConstraint(
                condition=Q(parent__isnull=False) | Q(kind=OrgKind.COMMITTEE),
                name="org_only_committee_is_root",
                violation_error_message="只有党委可以没有上级组织。",
            ),
            models.CheckConstraint(
                condition=~Q(parent=F("id")),
                name="org_not_own_parent",
                violation_error_message="组织不能是自己的上级。",
            ),
            models.CheckConstraint(
                condition=Q(star_level__gte=0, star_level__lte=5),
                name="org_star_level_0_5",
                violation_error_message="星级应为 0 至 5。",
            ),
            models.CheckConstraint(
                condition=Q(term_start__isnull=True)
                | Q(term_end__isnull=True)
                | Q(term_end__gt=F("term_start")),
                name="org_term_end_after_start",
                violation_error_message="任期届满日期应晚于任期开始日期。",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def kind_label(self) -> str:
        return choice_label(OrgKind, self.kind)

    @property
    def category_label(self) -> str:
        return choice_label(Category, self.category)

    @property
    def qualified_name(self) -> str:
        """The name with its parent's, as lists show it: two 机关党支部 of different
        党委 read apart ("机关党支部（华西特钢党委）"). Load ``parent`` with the row."""
        return f"{self.name}（{self.parent.name}）" if self.parent else self.name

    @property
    def below_minimum(self) -> bool:
        """A 党支部 (not a 联合党支部) with fewer than 3 full members."""
        return (
            self.kind == OrgKind.BRANCH
            and not self.is_joint
            and self.full_members < MIN_BRANCH_FULL_MEMBERS
        )

    @property
    def term_days_left(self) -> int | None:
        if self.term_end is None:
            return None
        return (self.term_end - timezone.localdate()).days

    @property
    def term_state(self) -> str:
        """How the term stands, in words (已超期 3 天 / 今天届满 / 20 天后届满; "" if unknown)."""
        days = self.term_days_left
        if days is None:
            return ""
        if days < 0:
            return f"已超期 {-days} 天"
        return "今天届满" if days == 0 else f"{days} 天后届满"

    @property
    def term_due(self) -> bool:
        """The term ends within TERM_WARNING_DAYS or has ended (``term_due_q`` in queries)."""
        days = self.term_days_left
        return days is not None and days <= TERM_WARNING_DAYS

    @property
    def term_overdue(self) -> bool:
        """The term has ended and no election is recorded."""
        days = self.term_days_left
        return days is not None and days < 0

    def is_in_subtree_of(self, other: "Organization") -> bool:
        return bool(other.path) and self.path.startswith(other.path)

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        parent_kind = self.parent.kind if self.parent_id and self.parent else None
        if self.kind and parent_kind not in ALLOWED_PARENT_KINDS.get(self.kind, set()):
            allowed = "、".join(
                "无（顶层）" if k is None else OrgKind(k).label
                for k in ALLOWED_PARENT_KINDS[self.kind]
            )
            got = "无上级" if parent_kind is None else f"上级为{OrgKind(parent_kind).label}"
            errors.setdefault("parent", []).append(
                f"{OrgKind(self.kind).label}的上级只能是：{allowed}（当前{got}）。"
            )
        if (
            self.pk
            and self.parent_id
            and self.parent
            and self.path
            and (self.parent.pk == self.pk or self.parent.path.startswith(self.path))
        ):
            errors.setdefault("parent", []).append(
                "上级组织不能是本组织或其下级组织（会形成循环）。"
            )
        if self.term_start and self.term_end and self.kind in TERM_YEARS:
            low, high = TERM_YEARS[self.kind]
            if self.term_end <= self.term_start:
                errors.setdefault("term_end", []).append("任期届满日期应晚于任期开始日期。")
            elif not (
                add_years(self.term_start, low) - TERM_SLACK
                <= self.term_end
                <= add_years(self.term_start, high) + TERM_SLACK
            ):
                errors.setdefault("term_end", []).append(
                    f"{OrgKind(self.kind).label}每届任期应为 {low} 至 {high} 年。"
                )
        if self.kind == OrgKind.GROUP and (self.term_start or self.term_end):
            errors.setdefault("term_start", []).append("党小组不设任期。")
        if self.established_on and self.established_on > timezone.localdate():
            errors.setdefault("established_on", []).append("成立日期不能晚于今天。")
        if errors:
            raise ValidationError(errors)


class Role(models.TextChoices):
    SECRETARY = "secretary", "支部书记"
    REVIEWER = "reviewer", "考评员"
    DEPT_ADMIN = "dept_admin", "党群部管理员"
    LEADER = "leader", "领导"
    SYSADMIN = "sysadmin", "系统管理员"
    AUDITOR = "auditor", "审计员"
    SECURITY_ADMIN = "security_admin", "安全管理员"


# 三员分立 (GB/T 22239-2019 level 3): the system, security and audit administrators are
# granted only by a superuser, to different people, and never together with a business
# role, so none of them can score, sign or read what audits their own actions.
ADMIN_ROLES = frozenset({Role.SYSADMIN, Role.AUDITOR, Role.SECURITY_ADMIN})


# A secretary's membership names the organization they lead and score.
SECRETARY_KINDS = {OrgKind.BRANCH, OrgKind.GENERAL_BRANCH}


class Membership(models.Model):
    """A user's role over an organization and everything below it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="用户",
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    organization = models.ForeignKey(
        Organization, verbose_name="组织", on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField("角色", max_length=20, choices=Role)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "角色授权"
        verbose_name_plural = "角色授权"
        ordering = ["user__username", "organization__path", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization", "role"],
                name="membership_unique_user_org_role",
                violation_error_message="该用户在该组织已有此角色。",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.organization} · {self.get_role_display()}"

    def clean(self) -> None:
        if (
            self.role == Role.SECRETARY
            and self.organization_id
            and self.organization.kind not in SECRETARY_KINDS
        ):
            raise ValidationError({"organization": "支部书记角色只能授予党支部或党总支。"})
        if self.user_id and self.role:
            others = set(
                Membership.objects.filter(user_id=self.user_id)
                .exclude(pk=self.pk)
                .values_list("role", flat=True)
            )
            clash = others - {self.role} if self.role in ADMIN_ROLES else others & ADMIN_ROLES
            if clash:
                raise ValidationError(
                    {
                        "role": "三员分立：系统管理员、安全管理员、审计员不能与其他角色由同一人兼任"
                        f"（该用户已有“{'、'.join(Role(r).label for r in sorted(clash))}”）。"
                    }
                )


class ResetStatus(models.TextChoices):
    PENDING = "pending", "待批准"
    APPROVED = "approved", "已批准"
    REJECTED = "rejected", "已驳回"


class PasswordResetRequest(models.Model):
    """A 系统管理员's password reset of an account that reads scores, held until a
    安全管理员 approves it (三员分立: no one person both sets the password of such an
    account and decides that it takes effect). Only the new password's hash is kept; on
    approval it becomes the account's password, to be changed at the next login."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="账号",
        on_delete=models.CASCADE,
        related_name="password_resets",
    )
    password = models.CharField("新密码哈希", max_length=128)
    status = models.CharField(
        "状态", max_length=20, choices=ResetStatus, default=ResetStatus.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申请人", on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField("申请时间", auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审批人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    reason = models.CharField("驳回理由", max_length=200, blank=True)

    class Meta:
        verbose_name = "密码重置申请"
        verbose_name_plural = "密码重置申请"
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(status="pending"),
                name="password_reset_one_pending",
                violation_error_message="该账号已有待批准的密码重置申请。",
            ),
            # A decision is someone's, and never the requester's own: two people.
            models.CheckConstraint(
                condition=Q(status="pending", decided_by__isnull=True)
                | (
                    ~Q(status="pending")
                    & Q(decided_by__isnull=False)
                    & ~Q(decided_by=F("requested_by"))
                ),
                name="password_reset_decided_by_another",
                violation_error_message="密码重置申请须由申请人以外的安全管理员审批。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} 的密码重置申请"


class ProposalStatus(models.TextChoices):
    PENDING = "pending", "待确认"
    CONFIRMED = "confirmed", "已确认"
    REJECTED = "rejected", "已驳回"
    WITHDRAWN = "withdrawn", "已撤回"


class DirectoryRoleProposal(models.Model):
    """A role that a directory group suggests for an account (LDAP_GROUP_ROLES), written
    when the person signs in with the directory. It grants nothing: a 安全管理员 confirms
    it (the role is then granted as by hand) or rejects it. A proposal still pending is
    withdrawn when the person signs in again without that group."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="账号",
        on_delete=models.CASCADE,
        related_name="role_proposals",
    )
    organization = models.ForeignKey(
        Organization, verbose_name="组织", on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField("角色", max_length=20, choices=Role)
    group_dn = models.CharField("目录组", max_length=500)
    status = models.CharField(
        "状态", max_length=20, choices=ProposalStatus, default=ProposalStatus.PENDING
    )
    proposed_at = models.DateTimeField("提出时间", auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="确认人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField("确认时间", null=True, blank=True)

    class Meta:
        verbose_name = "目录角色建议"
        verbose_name_plural = "目录角色建议"
        ordering = ["-proposed_at", "-pk"]
        constraints = [
            # One proposal per account, organization and role: a rejected one is not
            # proposed again at every sign-in.
            models.UniqueConstraint(
                fields=["user", "organization", "role"],
                name="role_proposal_unique_user_org_role",
                violation_error_message="该账号在该组织已有此角色的建议。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.organization} · {self.get_role_display()}（目录组建议）"

    def audit_org_path(self) -> str:
        return self.organization.path


class CrossReviewGroup(models.Model):
    """A group of enterprises (党委) for cross-review (交叉互评); groups review each other."""

    owner = models.ForeignKey(
        Organization,
        verbose_name="组织单位",
        on_delete=models.PROTECT,
        related_name="cross_review_groups",
        help_text="组织互评的上级党委",
    )
    name = models.CharField("组名", max_length=50)
    enterprises = models.ManyToManyField(
        Organization,
        verbose_name="成员企业",
        through="CrossReviewGroupMember",
        related_name="cross_review_groups_joined",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "互评组"
        verbose_name_plural = "互评组"
        ordering = ["owner__path", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "name"],
                name="crossgroup_unique_name",
                violation_error_message="同一单位下互评组名称不能重复。",
            )
        ]

    def __str__(self) -> str:
        return self.name


class CrossReviewGroupMember(models.Model):
    group = models.ForeignKey(
        CrossReviewGroup, verbose_name="互评组", on_delete=models.CASCADE, related_name="members"
    )
    enterprise = models.ForeignKey(
        Organization, verbose_name="企业党委", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "互评组成员"
        verbose_name_plural = "互评组成员"
        constraints = [
            # An enterprise sits in one group only, or the group-to-group plan is ambiguous.
            models.UniqueConstraint(
                fields=["enterprise"],
                name="crossgroup_enterprise_once",
                violation_error_message="该企业已在另一个互评组中。",
            )
        ]

    def __str__(self) -> str:
        return f"{self.group} · {self.enterprise}"


class AuditAction(models.TextChoices):
    CREATE = "create", "新增"
    UPDATE = "update", "修改"
    DELETE = "delete", "删除"
    LOGIN = "login", "登录"
    LOGOUT = "logout", "退出"
    LOGIN_FAILED = "login_failed", "登录失败"
    IMPORT = "import", "导入"
    EXPORT = "export", "导出"
    # The second factor (branches.second_factor).
    OTP_ENROL = "otp_enrol", "绑定动态验证码"
    OTP_FAILED = "otp_failed", "动态验证码错误"
    OTP_RECOVERY = "otp_recovery", "使用恢复码"
    OTP_RESET = "otp_reset", "重置动态验证码"


class AuditRetentionError(Exception):
    """The audit trail is append-only: entries are never changed or deleted."""


AUDIT_READ_ONLY = (
    "审计记录只能新增，不能修改或删除（至少保存 180 天；"
    "更早的记录只能由数据库管理员用 manage.py archive_audit 归档后移出）。"
)


class AuditQuerySet(models.QuerySet):
    def delete(self):
        raise AuditRetentionError(AUDIT_READ_ONLY)

    # Django's marker (read when the manager copies the queryset's methods) is a function
    # attribute, which the type checker does not know.
    delete.queryset_only = True  # type: ignore[attr-defined]

    def update(self, **kwargs):
        raise AuditRetentionError(AUDIT_READ_ONLY)

    update.queryset_only = True  # type: ignore[attr-defined]  # as delete's above

    def bulk_create(self, objs, *args, **kwargs):
        """Chained like save(): the database links the rows in the order given."""
        objs = list(objs)
        if not objs:
            return objs
        audit_chain.prepare(objs)
        return super().bulk_create(objs, *args, **kwargs)


class AuditEntry(models.Model):
    """One recorded change: who, when, what, old → new. Written by branches.toolkit.audit."""

    # Set in Python (not by the database) so that it is part of the row's hash.
    at = models.DateTimeField("时间", default=timezone.now, editable=False, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_repr = models.CharField("操作人", max_length=120, blank=True)
    source = models.CharField("来源", max_length=20, blank=True)
    action = models.CharField("操作", max_length=20, choices=AuditAction)
    model = models.CharField("对象类型", max_length=50, db_index=True)
    object_id = models.CharField("对象编号", max_length=64, db_index=True)
    object_repr = models.CharField("对象", max_length=200)
    changes = models.JSONField("变更", default=dict, blank=True)
    # The organization the change concerns, so an auditor sees their subtree only
    # (logins and account changes concern no organization: every auditor sees them).
    org_path = models.CharField(max_length=512, blank=True, db_index=True)
    ip = models.GenericIPAddressField("IP 地址", null=True, blank=True)
    # The hash chain (branches.toolkit.audit_chain): the row's position on the chain
    # (commit order), the previous row's hash, and this row's, over its content and
    # prev_hash. `manage.py verify_audit` checks them. The database fills all three in
    # (PostgreSQL: as the writing transaction commits; SQLite: as the row is inserted):
    # until it is read back, a saved instance holds no seq, the PENDING marker and its
    # content digest instead.
    seq = models.BigIntegerField("链上序号", null=True, unique=True, editable=False)
    prev_hash = models.CharField("前一条哈希", max_length=64, blank=True, editable=False)
    row_hash = models.CharField("本条哈希", max_length=64, blank=True, editable=False)

    # Retention: append-only, no delete path anywhere (no view, no admin action, and the
    # default manager refuses delete() and update()); kept at least 180 days as GB/T
    # 22239-2019 level 3 and the Cybersecurity Law (art. 21) require.
    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = "审计记录"
        verbose_name_plural = "审计记录"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["actor", "at"]), models.Index(fields=["action", "at"])]

    def __str__(self) -> str:
        action = self.get_action_display()
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_repr} {action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise AuditRetentionError(AUDIT_READ_ONLY)
        audit_chain.prepare([self])  # linked onto the chain by the database's trigger
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditRetentionError(AUDIT_READ_ONLY)

    @property
    def source_label(self) -> str:
        return audit_display.source_label(self.source)

    def change_lines(self) -> list[tuple[str, str | None, str | None]]:
        """Each change as the auditor reads it (page and export alike): (label, old, new)
        in readable Chinese (audit_display.format_value: 是/否, （空）, choice labels, local
        times). An update shows both sides, a delete the removed value only (new is
        None), anything else the new value only (old is None)."""
        lines: list[tuple[str, str | None, str | None]] = []
        old: str | None
        new: str | None
        for name, change in (self.changes or {}).items():
            if not isinstance(change, dict):
                continue
            old, new = (
                audit_display.format_value(change.get(side), field=name, model=self.model)
                for side in ("old", "new")
            )
            if self.action == AuditAction.DELETE:
                new = None
            elif self.action != AuditAction.UPDATE:
                old = None
            lines.append((str(change.get("label", "")), old, new))
        return lines


# Audit entries are kept in the database at least this long (GB/T 22239-2019 level 3, the
# Cybersecurity Law art. 21): `manage.py archive_audit` refuses a cut-off any later.
AUDIT_RETENTION_DAYS = 180


class AuditCheckpoint(models.Model):
    """Where the chain continues after entries were archived and removed from the database
    (`manage.py archive_audit --delete`): the last archived entry's seq and hash, which the
    first remaining entry must follow; `manage.py verify_audit` starts from the newest
    checkpoint. Append-only like the entries."""

    through_seq = models.BigIntegerField("归档至链上序号", unique=True)
    last_hash = models.CharField("该条记录哈希", max_length=64)
    count = models.PositiveIntegerField("归档条数")
    before = models.DateField("归档截止日期（不含）")
    file_name = models.CharField("归档文件", max_length=255)
    file_sha256 = models.CharField("归档文件 SHA-256", max_length=64)
    archived_at = models.DateTimeField("归档时间", default=timezone.now)

    class Meta:
        verbose_name = "审计记录归档点"
        verbose_name_plural = "审计记录归档点"
        ordering = ["-through_seq"]
        constraints = [
            models.CheckConstraint(
                condition=Q(through_seq__gte=1) & Q(count__gte=1),
                name="audit_checkpoint_covers_entries",
            ),
        ]

    def __str__(self) -> str:
        return f"归档至序号 {self.through_seq}（{self.count} 条，{self.before} 之前）"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise AuditRetentionError(AUDIT_READ_ONLY)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditRetentionError(AUDIT_READ_ONLY)


class PasswordHistory(models.Model):
    """The hashes of a user's recent passwords (none may be reused); written by
    branches.passwords when a password changes, the newest few kept."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="用户",
        on_delete=models.CASCADE,
        related_name="password_history",
    )
    password = models.CharField("密码哈希", max_length=128)
    created_at = models.DateTimeField("设置时间", default=timezone.now)

    class Meta:
        verbose_name = "历史密码"
        verbose_name_plural = "历史密码"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user} · {self.created_at:%Y-%m-%d}"


class ImportKind(models.TextChoices):
    ORGANIZATIONS = "organizations", "组织架构"
    PEOPLE = "people", "人员与角色"
    # Other apps' kinds (a rubric draft, …) come from the import registry.


class ImportStatus(models.TextChoices):
    PENDING = "pending", "正在试导入"  # a large file, checked by the task worker
    PREVIEWED = "previewed", "已预览"
    APPLYING = "applying", "正在导入"  # a large file, stored by the task worker
    APPLIED = "applied", "已导入"
    REJECTED = "rejected", "有错误"


class ImportJob(models.Model):
    """An uploaded spreadsheet awaiting confirmation after its dry-run preview."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # An ImportKind, or a kind another app registered (toolkit/import_registry.py).
    kind = models.CharField("导入类型", max_length=20)
    status = models.CharField(
        "状态", max_length=20, choices=ImportStatus, default=ImportStatus.PREVIEWED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("上传时间", auto_now_add=True)
    applied_at = models.DateTimeField("导入时间", null=True, blank=True)
    filename = models.CharField("文件名", max_length=200)
    target_id = models.PositiveBigIntegerField(
        "导入目标", null=True, blank=True, help_text="导入到已有对象时：该对象的编号"
    )
    content = models.BinaryField("文件内容")
    row_count = models.PositiveIntegerField("数据行数", default=0)
    summary = models.JSONField("结果摘要", default=dict, blank=True)
    # Progress of a large file handled by the task worker.
    progress = models.PositiveSmallIntegerField("进度", default=0)
    message = models.CharField("进度说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "导入记录"
        verbose_name_plural = "导入记录"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind_label} · {self.filename}"

    @property
    def kind_label(self) -> str:
        if self.kind in ImportKind.values:
            return ImportKind(self.kind).label
        registered = REGISTRY.get(self.kind)
        return registered.label if registered else self.kind


class MemberStatus(models.TextChoices):
    FULL = "full", "正式党员"
    PROBATIONARY = "probationary", "预备党员"


# The organizations that keep a member roster (党员名册).
ROSTER_KINDS = {OrgKind.BRANCH, OrgKind.GENERAL_BRANCH}


class MemberQuerySet(models.QuerySet):
    def active(self) -> "MemberQuerySet":
        """Members still in the branch (no 离开日期)."""
        return self.filter(left_on__isnull=True)


class Member(models.Model):
    """A party member on a branch's roster (党员名册). Members need not be users: the
    optional ``user`` links the member to their login when they have one."""

    organization = models.ForeignKey(
        Organization,
        verbose_name="所在党支部",
        on_delete=models.PROTECT,
        related_name="members",
    )
    name = models.CharField("姓名", max_length=50)
    status = models.CharField("党员类别", max_length=20, choices=MemberStatus)
    party_group = models.CharField("党小组", max_length=50, blank=True)
    joined_on = models.DateField("入党日期", null=True, blank=True)
    phone = models.CharField("手机", max_length=20, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="系统账号",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="member_records",
    )
    # A member who moved away or left keeps their row (their history refers to it).
    left_on = models.DateField("离开日期", null=True, blank=True)
    note = models.CharField("备注", max_length=200, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = "党员"
        verbose_name_plural = "党员名册"
        ordering = ["organization__path", "party_group", "name", "pk"]
        constraints = [
            # Imports and pages identify a current member by name within the branch.
            models.UniqueConstraint(
                fields=["organization", "name"],
                condition=Q(left_on__isnull=True),
                name="member_unique_active_name",
                violation_error_message="本支部已有同名在册党员（同名者请在姓名后加注以区分）。",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.left_on is None

    def audit_org_path(self) -> str:
        return self.organization.path

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.organization_id and self.organization.kind not in ROSTER_KINDS:
            errors["organization"] = ["党员名册只能建在党支部或党总支。"]
        today = timezone.localdate()
        if self.joined_on and self.joined_on > today:
            errors["joined_on"] = ["入党日期不能晚于今天。"]
        if self.left_on and self.joined_on and self.left_on < self.joined_on:
            errors["left_on"] = ["离开日期不能早于入党日期。"]
        if errors:
            raise ValidationError(errors)


class TokenScope(models.TextChoices):
    """What a service-account token may do over its subtree (branches/api). Neither scope
    grants roles or manages accounts; only ``READ`` reads scores."""

    READ = "read", "只读：组织、党员名册、考评活动与结果、整改清单、三会一课"
    SYNC = "sync", "同步：写入组织架构和党员名册（不读考评结果）"


class ApiToken(models.Model):
    """A service-account token for the REST API, created by a 安全管理员 for another
    system (HR, the higher-level 党委's reporting). The token itself is shown once and
    stored only as its SHA-256 digest (it is 256 random bits, so a plain digest is as
    safe as a slow hash and lets each request be checked with one indexed lookup).
    Changes of its data through the API are attributed to ``account``, its own
    service account, which holds no role and cannot log in."""

    name = models.CharField("用途", max_length=100)
    organization = models.ForeignKey(
        Organization,
        verbose_name="范围（该组织及其下级）",
        on_delete=models.PROTECT,
        related_name="api_tokens",
    )
    scope = models.CharField("权限", max_length=10, choices=TokenScope)
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="服务账号",
        on_delete=models.PROTECT,
        related_name="api_token",
    )
    prefix = models.CharField("令牌前缀", max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="创建人",
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="吊销人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "接口令牌"
        verbose_name_plural = "接口令牌"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True, revoked_by__isnull=True)
                | Q(revoked_at__isnull=False, revoked_by__isnull=False),
                name="api_token_revoked_with_who",
                violation_error_message="吊销时间和吊销人须同时填写。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.prefix}…）"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def audit_org_path(self) -> str:
        return self.organization.path


class ApiTokenUse(models.Model):
    """One request made with a token (accepted or refused): the token's use log, which
    its 安全管理员 reads on the token's page. Append-only like the audit trail; changes
    of data made through a request are in the audit trail itself."""

    token = models.ForeignKey(
        ApiToken, verbose_name="接口令牌", on_delete=models.PROTECT, related_name="uses"
    )
    at = models.DateTimeField("时间", default=timezone.now, db_index=True)
    method = models.CharField("方法", max_length=10)
    path = models.CharField("地址", max_length=200)
    status = models.PositiveSmallIntegerField("结果状态码")
    ip = models.GenericIPAddressField("IP 地址", null=True, blank=True)

    class Meta:
        verbose_name = "接口令牌使用记录"
        verbose_name_plural = "接口令牌使用记录"
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.method} {self.path} {self.status}"
