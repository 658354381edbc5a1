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
from collections.abc import Callable, Iterable

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import connection
from django.db.models import Exists, OuterRef
from django.utils import timezone

from .access import Perm, account_refusal, admin_role_holders, grantable_roles, has_perm
from .models import Member, Membership, Organization, OrgKind, Role, User
from .resources import MembershipResource, OrganizationResource, TextWidget
from .toolkit import audit

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


def _flatten(errors: dict[str, list[str]], labels: dict[str, str]) -> list[str]:
    """Messages as the preview shows them: "列名：原因", or the reason alone for a row."""
    out = []
    for field, messages in errors.items():
        label = "" if field == NON_FIELD_ERRORS else labels.get(field, field)
        out.extend(f"{label}：{m}" if label else m for m in messages)
    return out


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
    """Rows of the tree template (parents before children) → report rows; writes if asked."""

    FIELDS = [n for n in OrganizationResource._meta.fields if n != "parent"]
    TRACKED = [*(OrganizationResource.fields[n].attribute for n in FIELDS), "parent_id"]

    def __init__(self, *, by: User, problems: dict[int, list[str]]):
        self.by, self.problems = by, problems
        self.resource = OrganizationResource(by=by)
        self.labels = {f.attribute: f.column_name for f in self.resource.fields.values()}

    def _place(self, org: Organization, moved: set) -> None:
        """Recompute path, depth and enterprise of ``org`` and its subtree, in memory."""
        stack = [org]
        while stack:
            node = stack.pop()
            parent = self.by_pk.get(node.parent_id) if node.parent_id else None
            path = f"{parent.path if parent else '/'}{node.pk}/"
            depth = parent.depth + 1 if parent else 0
            if node.kind == OrgKind.COMMITTEE:
                enterprise_id = node.pk
            else:
                enterprise_id = parent.enterprise_id if parent else None
            if (path, depth, enterprise_id) != (node.path, node.depth, node.enterprise_id):
                node.path, node.depth, node.enterprise_id = path, depth, enterprise_id
                moved.add(node.pk)
            stack.extend(self.children[node.pk])

    def run(self, headers, rows, *, dry_run: bool, progress: Progress = _no_progress) -> list:
        # Long on purpose: one pass over the rows against the tree read once (no query
        # per row, so the queries do not grow with the file); who may store a row is
        # ``_refusals``, the writing ``_write``.
        # A branch with a roster counts its members from it (branches/roster): the file
        # may not change those counts. Flagged in the same query.
        existing = list(
            Organization.objects.annotate(
                has_roster=Exists(
                    Member.objects.filter(organization=OuterRef("pk"), left_on__isnull=True)
                )
            )
        )
        self.by_pk = {o.pk: o for o in existing}
        by_code = {o.code: o for o in existing}
        self.children: dict[int, list[Organization]] = defaultdict(list)
        for org in existing:
            if org.parent_id:
                self.children[org.parent_id].append(org)
        code_col = headers.index("编码")
        new_codes = {_code(v[code_col]) for _, v in rows} - set(by_code) - {""}
        ids = iter(_reserve_ids(Organization, len(new_codes), dry_run=dry_run))

        report, created, updated, moved = [], [], [], set()
        step = _progress_step(len(rows))
        for position, (number, values) in enumerate(rows, start=1):
            if position % step == 0:
                progress(int(90 * position / len(rows)), f"已检查 {position} / {len(rows)} 行")
            row = dict(zip(headers, values, strict=False))
            errors: dict[str, list[str]] = defaultdict(list)
            parsed = _parse(self.resource, row, self.FIELDS, errors)
            code = parsed.get("code") or ""
            instance = by_code.get(code) if code else None
            before = None
            if instance is None:
                instance = Organization(pk=next(ids) if code in new_codes else None)
                if code in new_codes:
                    new_codes.discard(code)  # a repeated code is an error row
            else:
                before = copy.copy(instance)
            for attribute, value in parsed.items():
                setattr(instance, attribute, value)
            if "上级编码" in row:
                parent_code = _code(row["上级编码"])
                parent = by_code.get(parent_code) if parent_code else None
                if parent_code and parent is None:
                    errors["parent"].append(
                        f"上级编码“{parent_code}”不存在（文件中和系统中都没有）"
                    )
                else:
                    instance.parent = parent

            problems = [
                *self.problems.get(number, []),
                *self._refusals(instance, before, parent_ok="parent" not in errors),
            ]
            _clean(instance, ["parent", *errors], errors)
            if problems:
                errors[NON_FIELD_ERRORS].extend(problems)

            messages = _flatten(errors, self.labels)
            if messages:
                report.append(_report_row(number, "error", "", messages))
                if before is not None:  # leave the stored one as it was for later rows
                    instance.__dict__.update(before.__dict__)
                continue
            if before is not None and all(
                getattr(before, a) == getattr(instance, a) for a in self.TRACKED
            ):
                report.append(_report_row(number, "skip", str(instance), []))
                continue
            if before is None:
                by_code[code] = instance
                self.by_pk[instance.pk] = instance
                created.append(instance)
            else:
                if before.parent_id != instance.parent_id and before.parent_id:
                    self.children[before.parent_id].remove(instance)
                if before.category != instance.category:
                    # Set by the spreadsheet now: no decision stands behind it (as a
                    # change on the organization's page).
                    instance.category_source = ""
                updated.append((instance, before))
            if before is None or before.parent_id != instance.parent_id:
                if instance.parent_id:
                    self.children[instance.parent_id].append(instance)
                self._place(instance, moved)
            report.append(
                _report_row(number, "new" if before is None else "update", str(instance), [])
            )

        ok = not any(r["action"] == "error" for r in report)
        if ok and not dry_run:
            progress(92, "正在保存")
            self._write(created, updated, moved)
        return report

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
            elif instance.parent_id and not has_perm(self.by, Perm.MANAGE_ORG, instance.parent):
                problems.append(f"上级“{instance.parent.code}”不在您的管理范围内")
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
            *self.TRACKED[:-1],
            "category_source",
            "parent",
            "path",
            "depth",
            "enterprise",
            "updated_at",
        ]
        Organization.objects.bulk_update(list(changed.values()), fields, batch_size=BATCH)
        audit.record_bulk([(o, None) for o in created] + updated)


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
        self.labels = {f.attribute: f.column_name for f in self.resource.fields.values()}
        self.labels["user"] = "工号"

    def run(self, headers, rows, *, dry_run: bool, progress: Progress = _no_progress) -> list:
        # Long on purpose: one pass over the rows against the tables read once above the
        # loop (no query per row, whatever the file's size); each step below says what it
        # checks, and split further the steps would pass the same eight lookups back and forth.
        users = {u.username: u for u in User.objects.all()}
        orgs = {o.code: o for o in Organization.objects.only("pk", "code", "name", "kind", "path")}
        grants = set(Membership.objects.values_list("user_id", "organization_id", "role"))
        grantable = dict(grantable_roles(self.by))
        admin_ids = admin_role_holders()
        may_accounts = has_perm(self.by, Perm.MANAGE_PEOPLE)
        may_grant = has_perm(self.by, Perm.GRANT_ROLES)
        role_widget = self.resource.fields["role"].widget
        widgets = {
            "工号": TextWidget(label="工号", required=True, max_length=150),
            "姓名": TextWidget(label="姓名", required=True, max_length=50),
            "邮箱": TextWidget(label="邮箱", max_length=254),
            "手机": TextWidget(label="手机", max_length=20),
        }
        new_users: dict[str, User] = {}
        changed_users: dict[str, tuple[User, User]] = {}
        new_grants: list[Membership] = []
        planned: set[tuple] = set()
        report = []
        step = _progress_step(len(rows))
        for position, (number, values) in enumerate(rows, start=1):
            if position % step == 0:
                progress(int(90 * position / len(rows)), f"已检查 {position} / {len(rows)} 行")
            row = dict(zip(headers, values, strict=False))
            # The account named by 工号, created or updated with its 姓名, 邮箱 and 手机.
            try:
                text = {col: w.clean(row.get(col)) for col, w in widgets.items()}
            except ValueError as exc:
                report.append(_report_row(number, "error", "", [str(exc)]))
                continue
            username = text["工号"]
            user = users.get(username)
            refusal = user is not None and account_refusal(self.by, user, admin_ids=admin_ids)
            if user is None and not may_accounts:
                report.append(
                    _report_row(number, "error", "", [f"工号“{username}”不存在（{NO_ACCOUNTS}）"])
                )
                continue
            changes_account = user is not None and (user.name, user.email, user.phone) != (
                text["姓名"],
                text["邮箱"],
                text["手机"],
            )
            if changes_account and (refusal or not may_accounts):
                # 三员分立: an account the importer may not manage is left as it is (an
                # exported row of it round-trips unchanged); changing it is refused.
                reason = refusal.rstrip("。") if refusal else NO_ACCOUNTS
                report.append(_report_row(number, "error", "", [reason]))
                continue
            before = None
            if user is None:
                user = User(username=username)
                user.set_unusable_password()
            elif username not in new_users and username not in changed_users:
                before = copy.copy(user)
            user.name, user.email, user.phone = text["姓名"], text["邮箱"], text["手机"]
            try:
                user.full_clean(exclude=["password"], validate_unique=False)
            except ValidationError as exc:
                report.append(_report_row(number, "error", "", ["；".join(exc.messages)]))
                if before is not None:
                    user.__dict__.update(before.__dict__)
                continue
            # What this row does to the account itself (an account-only row reports it).
            account_action = "skip"
            if user.pk is None:
                account_action = "skip" if username in new_users else "new"
                new_users[username] = users[username] = user
            elif before is not None and (before.name, before.email, before.phone) != (
                user.name,
                user.email,
                user.phone,
            ):
                changed_users[username] = (user, before)
                account_action = "update"

            problems = list(self.problems.get(number, []))
            org_code, role_text = _code(row.get("组织编码")), _code(row.get("角色"))
            if not org_code and not role_text and not problems:
                report.append(_report_row(number, account_action, str(user), []))  # account only
                continue
            errors: dict[str, list[str]] = defaultdict(list)
            org = orgs.get(org_code) if org_code else None
            if org_code and org is None:
                errors["organization"].append(f"组织编码“{org_code}”不存在（文件中和系统中都没有）")
            try:
                role = role_widget.clean(row.get("角色"), row=row)
            except ValueError as exc:
                errors["role"].append(str(exc))
                role = None
            grant = Membership(user=user, organization=org, role=role or "")
            if org is None and "organization" not in errors:
                problems.append("填写了角色就必须填写组织编码")
            if not role and "role" not in errors:
                problems.append("填写了组织编码就必须填写角色")
            key = (user.pk, org.pk if org else None, role)
            exists = user.pk is not None and key in grants
            if not exists and role and not may_grant:
                problems.append(NO_GRANTS)
            elif not exists and role and role not in grantable:
                problems.append(f"您不能授予“{Role(role).label}”角色")
            if not exists and role and refusal:
                problems.append(refusal.rstrip("。"))
            # A new grant needs the grant right over the organization; an existing one
            # (round-tripping) the people pages' scope.
            scope_perms = (
                (Perm.GRANT_ROLES,)
                if may_grant and not exists
                else (Perm.MANAGE_PEOPLE, Perm.GRANT_ROLES)
            )
            if org is not None and not any(has_perm(self.by, p, org) for p in scope_perms):
                problems.append(f"组织“{org.code}”不在您的管理范围内")
            if not errors and org is not None and role:
                _clean(grant, ["user", "organization", *errors], errors)
            if problems:
                errors[NON_FIELD_ERRORS].extend(problems)
            messages = _flatten(errors, self.labels)
            if messages:
                report.append(_report_row(number, "error", "", messages))
            elif exists or (username, org.pk, role) in planned:
                report.append(_report_row(number, "skip", str(grant), []))
            else:
                planned.add((username, org.pk, role))
                new_grants.append(grant)
                report.append(_report_row(number, "new", str(grant), []))

        ok = not any(r["action"] == "error" for r in report)
        if ok and not dry_run:
            progress(92, "正在保存")
            User.objects.bulk_create(list(new_users.values()), batch_size=BATCH)
            User.objects.bulk_update(
                [u for u, _ in changed_users.values()], ["name", "email", "phone"], batch_size=BATCH
            )
            for grant in new_grants:
                grant.user = grant.user  # the user's key, now that it is stored
            Membership.objects.bulk_create(new_grants, batch_size=BATCH)
            audit.record_bulk(
                [(u, None) for u in new_users.values()]
                + list(changed_users.values())
                + [(g, None) for g in new_grants]
            )
        return report
