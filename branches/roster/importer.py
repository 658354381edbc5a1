"""Excel import of a branch's roster through the shared upload → dry-run preview → confirm
flow (branches/importing.py, registered in the import registry with the branch as target).

A row is a member, identified by 姓名 among the branch's current members: a known name is
updated, a new one added; members missing from the file are left as they are. Every cell
is read with the tree import's widgets (branches/resources.py), so the errors read alike,
with their Excel row numbers. Three queries whatever the size: the branch's roster, the
accounts named by 工号, and the writes. The API's roster sync (branches/api) checks its
rows here too."""

import copy
from collections import defaultdict

from django.core.exceptions import NON_FIELD_ERRORS
from django.urls import reverse

from ..access import Perm, has_perm
from ..importers import _clean, _flatten, _report_row
from ..models import Member, MemberStatus, Organization, User
from ..resources import ChineseDateWidget, ChoiceLabelWidget, TextWidget
from ..toolkit import audit, import_registry
from ..toolkit.spreadsheets import Sheet, read_xlsx
from .services import login_change_refusal, sync_counts

KIND = "members"
LABEL = "党员名册"
HEADERS = ["姓名", "党员类别", "党小组", "入党日期", "手机", "工号", "离开日期", "备注"]
REQUIRED = ("姓名", "党员类别")

COLUMNS = {
    "姓名": ("name", TextWidget(label="姓名", required=True, max_length=50)),
    "党员类别": ("status", ChoiceLabelWidget(MemberStatus.choices, label="党员类别")),
    "党小组": ("party_group", TextWidget(label="党小组", max_length=50)),
    "入党日期": ("joined_on", ChineseDateWidget(label="入党日期")),
    "手机": ("phone", TextWidget(label="手机", max_length=20)),
    "离开日期": ("left_on", ChineseDateWidget(label="离开日期")),
    "备注": ("note", TextWidget(label="备注", max_length=200)),
}
TRACKED = [attribute for attribute, _ in COLUMNS.values()] + ["user_id"]
LABELS = {attribute: column for column, (attribute, _) in COLUMNS.items()} | {"user": "工号"}
ACTION_LABELS = {"new": "新增", "update": "更新", "skip": "无变化", "error": "错误"}
USERNAME = TextWidget(label="工号", max_length=150)


def _parse(number, values, cell, index, users, seen) -> tuple[dict, User | None, dict]:
    """One row: (the member's values by attribute, the login its 工号 names, the problems
    by attribute). A name seen on an earlier row (``seen``: name → row) is a problem."""
    errors: dict[str, list[str]] = defaultdict(list)
    parsed = {}
    for column, (attribute, widget) in COLUMNS.items():
        if column not in index:
            continue
        try:
            parsed[attribute] = widget.clean(cell(values, column))
        except ValueError as exc:
            errors[attribute].append(str(exc))
    name = parsed.get("name", "")
    if name and name in seen:
        errors[NON_FIELD_ERRORS].append(f"姓名“{name}”与第 {seen[name]} 行重复")
    elif name:
        seen[name] = number
    user = None
    if "工号" in index:
        try:
            username = USERNAME.clean(cell(values, "工号"))
        except ValueError as exc:
            errors["user"].append(str(exc))
            username = ""
        if username:
            user = users.get(username)
            if user is None:
                errors["user"].append(f"工号“{username}”不存在")
    return parsed, user, errors


def _set_login(instance: Member, user: User | None, errors: dict, *, by: User) -> None:
    """Link the member to the login its 工号 names, unless this person may not change it."""
    reason = login_change_refusal(instance, by=by, user_id=user.pk if user else None)
    if reason:
        errors["user"].append(reason)
    else:
        instance.user = user


def _keep(
    instance: Member,
    before: Member | None,
    *,
    created: list[Member],
    updated: list[tuple[Member, Member]],
) -> str:
    """Keep a checked member to be written if the row creates or changes it; the row's
    action."""
    if before is None:
        created.append(instance)
        return "new"
    if all(getattr(before, a) == getattr(instance, a) for a in TRACKED):
        return "skip"
    updated.append((instance, before))
    return "update"


def run(job, *, by: User, dry_run: bool) -> dict:
    org = Organization.objects.get(pk=job.target_id)
    return check_rows(org, read_xlsx(bytes(job.content), required=REQUIRED), by=by, dry_run=dry_run)


def _stored(org: Organization) -> tuple[dict, dict]:
    """The branch's current members by name, and those who left by (name, 离开日期): a
    row naming a member who left on that day is that member again (so the same rows
    imported twice change nothing), not a new one."""
    current, departed = {}, {}
    for member in Member.objects.filter(organization=org):
        if member.left_on is None:
            current[member.name] = member
        else:
            departed[(member.name, member.left_on)] = member
    return current, departed


def check_rows(org: Organization, sheet: Sheet, *, by: User, dry_run: bool) -> dict:
    """The rows of a roster (a file's, or another system's through the API) checked, and
    stored unless ``dry_run`` or any row fails: the report."""
    index = {h: i for i, h in enumerate(sheet.headers)}

    def cell(values, column):
        return values[index[column]] if column in index else None

    report: list[dict] = []
    if not has_perm(by, Perm.MANAGE_MEMBERS, org):
        report.append(_report_row(None, "error", "", [f"您不能管理“{org.name}”的党员名册"]))
    current, departed = _stored(org)
    usernames = {str(USERNAME.clean(cell(v, "工号")) or "") for _, v in sheet.rows} - {""}
    users = {u.username: u for u in User.objects.filter(username__in=usernames)}
    seen: dict[str, int] = {}
    created: list[Member] = []
    updated: list[tuple[Member, Member]] = []
    for number, values in sheet.rows:
        parsed, user, errors = _parse(number, values, cell, index, users, seen)
        name = parsed.get("name", "")
        instance = current.get(name) or departed.get((name, parsed.get("left_on")))
        before = copy.copy(instance) if instance is not None else None
        if instance is None:
            instance = Member(organization=org)
        for attribute, value in parsed.items():
            setattr(instance, attribute, value)
        if "工号" in index and "user" not in errors:
            _set_login(instance, user, errors, by=by)
        _clean(instance, ["organization", "user", *errors], errors)
        messages = _flatten(errors, LABELS)
        if messages:
            report.append(_report_row(number, "error", "", messages))
            if before is not None:
                instance.__dict__.update(before.__dict__)
            continue
        action = _keep(instance, before, created=created, updated=updated)
        report.append(_report_row(number, action, name, []))
    for row in report:
        row["action_label"] = ACTION_LABELS[row["action"]]
    result = import_registry.summarize(report, len(sheet.rows))
    if result["ok"] and not dry_run:
        Member.objects.bulk_create(created)
        Member.objects.bulk_update(
            [m for m, _ in updated],
            ["status", "party_group", "joined_on", "phone", "user", "left_on", "note"],
        )
        audit.record_bulk([*((m, None) for m in created), *updated])
        sync_counts(org)
    return result


def done(job) -> str:
    return reverse("member_list", args=[job.target_id])


def register() -> None:
    import_registry.register(
        KIND, LABEL, run, required=REQUIRED, perm=Perm.MANAGE_MEMBERS, done=done
    )
