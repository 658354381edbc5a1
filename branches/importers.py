"""The tree and people imports, validated in memory and written in bulk.

Each import reads what it checks against once (one query per table: every organization,
every account, every role grant), checks each row in Python with the resources' widgets,
the models' ``clean()`` and the same scope rules as the pages, and writes with
``bulk_create`` / ``bulk_update`` plus one bulk insert of audit entries. The cost in
queries does not grow with the number of rows (tests pin it), and memory grows with the
rows of the file plus the rows already stored (see docs/operations.md, the task worker).

New organizations get their primary keys before they are written (reserved from the
sequence on PostgreSQL, after the highest key ever used on SQLite, whose writes are
serialized), so the materialized path, depth and enterprise of every new or moved node are
placed in memory in one pass and written with the rows themselves.
"""

import copy
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import connection
from django.db.models import Exists, OuterRef
from django.utils import timezone
from import_export.resources import Resource

from .access import Perm, account_refusal, admin_role_holders, grantable_roles, has_perm
from .models import Member, Membership, Organization, OrgKind, Role, User, tree_key
from .resources import MembershipResource, OrganizationResource, TextWidget
from .toolkit import audit
from .toolkit.statistics import after_bulk_writes

Progress = Callable[[int, str], None]
BATCH = 1000


def _progress_step(total: int) -> int:
    """Report progress every 500 rows, and at most 20 times whatever the size."""
    return max(500, total // 20)


def _no_progress(percent: int, message: str) -> None:
    pass


def _code(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _report_row(number, action: str, label: str, errors: list[str]) -> dict:
    return {"row": number, "action": action, "label": label, "errors": errors}


def _flatten(errors: dict[str, list[str]], labels: Mapping[str, str | None]) -> list[str]:
    """Messages as the preview shows them: "列名：原因", or the reason alone for a row."""
    out: list[str] = []
    for field, messages in errors.items():
        label = "" if field == NON_FIELD_ERRORS else labels.get(field, field)
        out.extend(f"{label}：{m}" if label else m for m in messages)
    return out


def _labels(resource: Resource) -> dict[str, str | None]:
    """Each model attribute's column heading."""
    return {f.attribute: f.column_name for f in resource.fields.values() if f.attribute}


def _attribute(resource: Resource, name: str) -> str:
    """The model attribute that the resource's column ``name`` fills."""
    attribute = resource.fields[name].attribute
    if attribute is None:
        raise ValueError(f"the column {name} fills no attribute")
    return attribute


def _parse(resource, row: dict, names: Iterable[str], errors: dict) -> dict:
    """Clean the present columns of ``row`` with the resource's widgets."""
    values = {}
    for name in names:
        field = resource.fields[name]
        if field.column_name not in row:
            continue
        try:
            values[field.attribute] = field.widget.clean(row[field.column_name], row=row)
        except ValueError as exc:
            errors[field.attribute].append(str(exc))
    return values


def _clean(instance, exclude: Iterable[str], errors: dict) -> None:
    """The model's field checks and clean(); unique and constraint checks are done in
    memory by the caller (Django would spend a query on each, for each row)."""
    try:
        instance.full_clean(
            exclude=list(exclude), validate_unique=False, validate_constraints=False
        )
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors[field].extend(messages)


def _reserve_ids(model, count: int, *, dry_run: bool) -> list[int]:
    """Primary keys for ``count`` new rows, known before they are inserted."""
    if count == 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and not dry_run:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return [row[0] for row in cursor.fetchall()]
        # A dry run writes nothing: provisional keys after the highest one in use will do.
        # SQLite: writes are serialized (BEGIN IMMEDIATE), and the AUTOINCREMENT counter
        # remembers deleted keys, which are never reused.
        cursor.execute(f'SELECT COALESCE(MAX("id"), 0) FROM "{table}"')
        highest = cursor.fetchone()[0]
        if connection.vendor == "sqlite":
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
            highest = max(highest, row[0] if row else 0)
    return list(range(highest + 1, highest + 1 + count))


class OrganizationImport:
    """Rows of the tree template (parents before children) → report rows; writes if asked.

    One pass over the rows against the tree read once (no query per row): each row is
    checked and, if fine, applied to the tree in memory, so later rows see it as a parent
    and every moved node is placed; who may store a row is ``_refusals``, the writing
    ``_write``."""

    def __init__(self, *, by: User, problems: dict[int, list[str]]):
        self.by, self.problems = by, problems
        self.resource = OrganizationResource(by=by)
        self.labels = _labels(self.resource)
        self.columns = [n for n in self.resource._meta.fields or () if n != "parent"]
        # What a row may change: the attributes its columns fill, and the parent.
        self.tracked = [*(_attribute(self.resource, n) for n in self.columns), "parent_id"]

    def _place(self, org: Organization, moved: set[int]) -> None:
        """Recompute path, depth, tree key and enterprise of ``org`` and its subtree, in
        memory."""
        stack = [org]
        while stack:
            node = stack.pop()
            parent = self.by_pk.get(node.parent_id) if node.parent_id else None
            path = f"{parent.path if parent else '/'}{node.pk}/"
            depth = parent.depth + 1 if parent else 0
            key = tree_key(parent.tree_key if parent else "", node.code)
            enterprise_id: int | None
            if node.kind == OrgKind.COMMITTEE:
                enterprise_id = node.pk
            else:
                enterprise_id = parent.enterprise_id if parent else None
            placed = (path, depth, key, enterprise_id)
            if placed != (node.path, node.depth, node.tree_key, node.enterprise_id):
                node.path, node.depth, node.tree_key, node.enterprise_id = placed
                moved.add(node.pk)
            stack.extend(self.children[node.pk])

    def run(self, headers, rows, *, dry_run: bool, progress: Progress = _no_progress) -> list:
        self._read_tree()
        code_col = headers.index("编码")
        self.new_codes = {_code(v[code_col]) for _, v in rows} - set(self.by_code) - {""}
        self.ids = iter(_reserve_ids(Organization, len(self.new_codes), dry_run=dry_run))
        self.created: list[Organization] = []
        self.updated: list[tuple[Organization, Organization]] = []
        self.moved: set[int] = set()

        report = []
        step = _progress_step(len(rows))
        for position, (number, values) in enumerate(rows, start=1):
            if position % step == 0:
                progress(int(90 * position / len(rows)), f"已检查 {position} / {len(rows)} 行")
            report.append(self._row(number, dict(zip(headers, values, strict=False))))

        ok = not any(r["action"] == "error" for r in report)
        if ok and not dry_run:
            progress(92, "正在保存")
            self._write(self.created, self.updated, self.moved)
        return report

    def _read_tree(self) -> None:
        """Every organization, once. A branch with a roster counts its members from it
        (branches/roster): the file may not change those counts. Flagged in the same query."""
        existing = list(
            Organization.objects.annotate(
                has_roster=Exists(
                    Member.objects.filter(organization=OuterRef("pk"), left_on__isnull=True)
                )
            )
        )
        self.by_pk: dict[int, Organization] = {o.pk: o for o in existing}
        self.by_code: dict[str, Organization] = {o.code: o for o in existing}
        self.children: dict[int, list[Organization]] = defaultdict(list)
        for org in existing:
            if org.parent_id:
                self.children[org.parent_id].append(org)

    def _row(self, number: int, row: dict) -> dict:
        """Check one row; apply it to the tree in memory if it is fine. Its report row."""
        errors: dict[str, list[str]] = defaultdict(list)
        parsed = _parse(self.resource, row, self.columns, errors)
        code = parsed.get("code") or ""
        instance, before = self._instance(code)
        for attribute, value in parsed.items():
            setattr(instance, attribute, value)
        if "上级编码" in row:
            self._set_parent(instance, _code(row["上级编码"]), errors)

        problems = [
            *self.problems.get(number, []),
            *self._refusals(instance, before, parent_ok="parent" not in errors),
        ]
        _clean(instance, ["parent", *errors], errors)
        if problems:
            errors[NON_FIELD_ERRORS].extend(problems)

        messages = _flatten(errors, self.labels)
        if messages:
            if before is not None:  # leave the stored one as it was for later rows
                instance.__dict__.update(before.__dict__)
            return _report_row(number, "error", "", messages)
        if before is not None and all(
            getattr(before, a) == getattr(instance, a) for a in self.tracked
        ):
            return _report_row(number, "skip", str(instance), [])
        self._apply(code, instance, before)
        return _report_row(number, "new" if before is None else "update", str(instance), [])

    def _instance(self, code: str) -> tuple[Organization, Organization | None]:
        """The stored organization with this code and a copy of it as it is; or a new one
        (None as its copy), with a reserved key if its code is new to the tree."""
        instance = self.by_code.get(code) if code else None
        if instance is not None:
            return instance, copy.copy(instance)
        if code in self.new_codes:
            self.new_codes.discard(code)  # a repeated code is an error row
            return Organization(pk=next(self.ids)), None
        return Organization(pk=None), None

    def _set_parent(self, instance: Organization, parent_code: str, errors: dict) -> None:
        parent = self.by_code.get(parent_code) if parent_code else None
        if parent_code and parent is None:
            errors["parent"].append(f"上级编码“{parent_code}”不存在（文件中和系统中都没有）")
        else:
            instance.parent = parent

    def _apply(self, code: str, instance: Organization, before: Organization | None) -> None:
        """Keep a checked row in the tree in memory (to be written if every row is fine)."""
        if before is None:
            self.by_code[code] = instance
            self.by_pk[instance.pk] = instance
            self.created.append(instance)
        else:
            if before.parent_id != instance.parent_id and before.parent_id:
                self.children[before.parent_id].remove(instance)
            if before.category != instance.category:
                # Set by the spreadsheet now: no decision stands behind it (as a
                # change on the organization's page).
                instance.category_source = ""
            self.updated.append((instance, before))
        if before is None or before.parent_id != instance.parent_id:
            if instance.parent_id:
                self.children[instance.parent_id].append(instance)
            self._place(instance, self.moved)

    def _refusals(self, instance: Organization, before, *, parent_ok: bool) -> list[str]:
        """Why this person may not store the row: member counts kept by the roster, an
        organization or a parent outside their scope, a top-level committee."""
        problems = []
        if getattr(before, "has_roster", False) and (
            before.full_members,
            before.probationary_members,
        ) != (instance.full_members, instance.probationary_members):
            problems.append(
                f"“{instance.code}”的党员人数按党员名册统计（正式 {before.full_members}、"
                f"预备 {before.probationary_members}），请在党员名册中修改"
            )
        if before is not None and not has_perm(self.by, Perm.MANAGE_ORG, before):
            problems.append(f"编码“{instance.code}”属于您管理范围之外的组织，不能修改")
        if parent_ok:
            if instance.parent_id is None and not self.by.is_superuser:
                if before is None or before.parent_id is not None:
                    problems.append("只有超级管理员可以导入顶层党委（请填写上级编码）")
            elif (
                (parent := instance.parent)
                # Keeping the parent it has is no change (the root of one's own subtree
                # sits under a parent outside it: an export of the subtree round-trips).
                and (before is None or before.parent_id != instance.parent_id)
                and not has_perm(self.by, Perm.MANAGE_ORG, parent)
            ):
                problems.append(f"上级“{parent.code}”不在您的管理范围内")
        return problems

    def _write(self, created: list, updated: list, moved: set) -> None:
        now = timezone.now()
        Organization.objects.bulk_create(created, batch_size=BATCH)
        created_pks = {o.pk for o in created}
        changed = {o.pk: o for o, _ in updated}
        for pk in moved - created_pks:
            changed.setdefault(pk, self.by_pk[pk])
        for org in changed.values():
            org.updated_at = now
        fields = [
            *self.tracked[:-1],
            "category_source",
            "parent",
            "path",
            "depth",
            "tree_key",
            "enterprise",
            "updated_at",
        ]
        Organization.objects.bulk_update(list(changed.values()), fields, batch_size=BATCH)
        audit.record_bulk([(o, None) for o in created] + updated)
        if created or changed:
            after_bulk_writes()


# The account columns of the people template.
ACCOUNT_WIDGETS = {
    "工号": TextWidget(label="工号", required=True, max_length=150),
    "姓名": TextWidget(label="姓名", required=True, max_length=50),
    "邮箱": TextWidget(label="邮箱", max_length=254),
    "手机": TextWidget(label="手机", max_length=20),
}


class _Refused(Exception):
    """A row refused: reported with these messages, and nothing of it is kept."""

    def __init__(self, messages: list[str]):
        super().__init__(*messages)
        self.messages = messages


# 三员分立 in the people import: the 系统管理员 creates and updates accounts, the 安全管理员
# grants roles; a row asking the other's part is refused with these words.
NO_GRANTS = "角色由安全管理员授予：系统管理员的导入只新建或修改账号，请清空“组织编码”和“角色”"
NO_ACCOUNTS = "安全管理员只授予角色：账号由系统管理员新建和修改"


class PeopleImport:
    """Rows of the people template (one role grant a row) → report rows; writes if asked.

    The 系统管理员's rows create and update accounts (a new grant is refused, an existing
    one round-trips unchanged); the 安全管理员's rows grant roles to existing accounts (a
    new or changed account is refused); a superuser does both."""

    def __init__(self, *, by: User, problems: dict[int, list[str]]):
        self.by, self.problems = by, problems
        self.resource = MembershipResource(by=by)
        self.labels = _labels(self.resource)
        self.labels["user"] = "工号"

    def run(self, headers, rows, *, dry_run: bool, progress: Progress = _no_progress) -> list:
        self._read_tables()
        report = []
        step = _progress_step(len(rows))
        for position, (number, values) in enumerate(rows, start=1):
            if position % step == 0:
                progress(int(90 * position / len(rows)), f"已检查 {position} / {len(rows)} 行")
            report.append(self._row(number, dict(zip(headers, values, strict=False))))

        ok = not any(r["action"] == "error" for r in report)
        if ok and not dry_run:
            progress(92, "正在保存")
            self._write()
        return report

    def _read_tables(self) -> None:
        """What every row is checked against, read once (no query per row): the accounts,
        organizations and grants, and what this person may do."""
        self.users = {u.username: u for u in User.objects.all()}
        self.orgs = {
            o.code: o for o in Organization.objects.only("pk", "code", "name", "kind", "path")
        }
        self.grants = set(Membership.objects.values_list("user_id", "organization_id", "role"))
        self.grantable = dict(grantable_roles(self.by))
        self.admin_ids = admin_role_holders()
        self.may_accounts = has_perm(self.by, Perm.MANAGE_PEOPLE)
        self.may_grant = has_perm(self.by, Perm.GRANT_ROLES)
        self.role_widget = self.resource.fields["role"].widget
        self.new_users: dict[str, User] = {}
        self.changed_users: dict[str, tuple[User, User]] = {}
        self.new_grants: list[Membership] = []
        self.planned: set[tuple] = set()

    def _row(self, number: int, row: dict) -> dict:
        """Check one row; keep what it creates or changes if it is fine. Its report row."""
        try:
            user, refusal, account_action = self._account(row)
        except _Refused as exc:
            return _report_row(number, "error", "", exc.messages)
        problems = list(self.problems.get(number, []))
        org_code, role_text = _code(row.get("组织编码")), _code(row.get("角色"))
        if not org_code and not role_text and not problems:
            return _report_row(number, account_action, str(user), [])  # account only
        return self._grant(number, row, user, org_code, refusal=refusal, problems=problems)

    def _account(self, row: dict) -> tuple[User, str | None, str]:
        """The account named by 工号, created or updated with its 姓名, 邮箱 and 手机; why
        this person may not manage it (None if they may); what the row does to it."""
        try:
            text = {col: w.clean(row.get(col)) for col, w in ACCOUNT_WIDGETS.items()}
        except ValueError as exc:
            raise _Refused([str(exc)]) from None
        username = text["工号"]
        user = self.users.get(username)
        refusal = (
            account_refusal(self.by, user, admin_ids=self.admin_ids) if user is not None else None
        )
        if user is None and not self.may_accounts:
            raise _Refused([f"工号“{username}”不存在（{NO_ACCOUNTS}）"])
        changes_account = user is not None and (user.name, user.email, user.phone) != (
            text["姓名"],
            text["邮箱"],
            text["手机"],
        )
        if changes_account and (refusal or not self.may_accounts):
            # 三员分立: an account the importer may not manage is left as it is (an
            # exported row of it round-trips unchanged); changing it is refused.
            raise _Refused([refusal.rstrip("。") if refusal else NO_ACCOUNTS])
        before = None
        if user is None:
            user = User(username=username)
            user.set_unusable_password()
        elif username not in self.new_users and username not in self.changed_users:
            before = copy.copy(user)
        user.name, user.email, user.phone = text["姓名"], text["邮箱"], text["手机"]
        try:
            user.full_clean(exclude=["password"], validate_unique=False)
        except ValidationError as exc:
            if before is not None:
                user.__dict__.update(before.__dict__)
            raise _Refused(["；".join(exc.messages)]) from None
        return user, refusal, self._keep_account(user, before)

    def _keep_account(self, user: User, before: User | None) -> str:
        """Keep a checked account to be written; what the row does to it (an account-only
        row reports it)."""
        if user.pk is None:
            if user.username in self.new_users:
                return "skip"
            self.new_users[user.username] = self.users[user.username] = user
            return "new"
        if before is not None and (before.name, before.email, before.phone) != (
            user.name,
            user.email,
            user.phone,
        ):
            self.changed_users[user.username] = (user, before)
            return "update"
        return "skip"

    def _grant(
        self, number: int, row: dict, user: User, org_code: str, *, refusal, problems: list[str]
    ) -> dict:
        """The role grant the row asks for, checked; a new one is kept to be written."""
        errors: dict[str, list[str]] = defaultdict(list)
        org = self.orgs.get(org_code) if org_code else None
        if org_code and org is None:
            errors["organization"].append(f"组织编码“{org_code}”不存在（文件中和系统中都没有）")
        try:
            role = self.role_widget.clean(row.get("角色"), row=row)
        except ValueError as exc:
            errors["role"].append(str(exc))
            role = None
        grant = Membership(user=user, organization=org, role=role or "")
        if org is None and "organization" not in errors:
            problems.append("填写了角色就必须填写组织编码")
        if not role and "role" not in errors:
            problems.append("填写了组织编码就必须填写角色")
        exists = user.pk is not None and (user.pk, org.pk if org else None, role) in self.grants
        problems.extend(self._grant_refusals(org, role, exists=exists, refusal=refusal))
        if not errors and org is not None and role:
            _clean(grant, ["user", "organization", *errors], errors)
        if problems:
            errors[NON_FIELD_ERRORS].extend(problems)
        messages = _flatten(errors, self.labels)
        if messages or org is None:  # a grant without an organization has a problem above
            return _report_row(number, "error", "", messages)
        if exists or (user.username, org.pk, role) in self.planned:
            return _report_row(number, "skip", str(grant), [])
        self.planned.add((user.username, org.pk, role))
        self.new_grants.append(grant)
        return _report_row(number, "new", str(grant), [])

    def _grant_refusals(
        self, org: Organization | None, role, *, exists: bool, refusal: str | None
    ) -> list[str]:
        """Why this person may not grant the role: 三员分立, a role they may not grant, an
        account they may not manage, an organization outside their scope."""
        problems = []
        if not exists and role and not self.may_grant:
            problems.append(NO_GRANTS)
        elif not exists and role and role not in self.grantable:
            problems.append(f"您不能授予“{Role(role).label}”角色")
        if not exists and role and refusal:
            problems.append(refusal.rstrip("。"))
        # A new grant needs the grant right over the organization; an existing one
        # (round-tripping) the people pages' scope.
        scope_perms = (
            (Perm.GRANT_ROLES,)
            if self.may_grant and not exists
            else (Perm.MANAGE_PEOPLE, Perm.GRANT_ROLES)
        )
        if org is not None and not any(has_perm(self.by, p, org) for p in scope_perms):
            problems.append(f"组织“{org.code}”不在您的管理范围内")
        return problems

    def _write(self) -> None:
        User.objects.bulk_create(list(self.new_users.values()), batch_size=BATCH)
        User.objects.bulk_update(
            [u for u, _ in self.changed_users.values()],
            ["name", "email", "phone"],
            batch_size=BATCH,
        )
        for grant in self.new_grants:
            grant.user = grant.user  # the user's key, now that it is stored
        Membership.objects.bulk_create(self.new_grants, batch_size=BATCH)
        audit.record_bulk(
            [
                *((u, None) for u in self.new_users.values()),
                *self.changed_users.values(),
                *((g, None) for g in self.new_grants),
            ]
        )
