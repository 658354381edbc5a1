"""Every write of the API: service-account tokens (created and revoked by the 安全管理员,
each use logged) and the syncs from HR of the tree and the rosters, which go through the
spreadsheet imports' checks and audit (branches/importing.py, branches/roster/importer.py)."""

import secrets

from django.db import transaction
from django.utils import timezone

from .. import importing
from ..access import Perm, has_perm
from ..models import ApiToken, ApiTokenUse, Organization, TokenScope, User
from ..roster import importer as roster_importer
from ..services import BranchesError, service
from ..toolkit.spreadsheets import Sheet
from .access import digest

KEY_PREFIX = "kp_"
SHOWN_PREFIX = 11  # "kp_" and 8 characters, shown on the token list to tell tokens apart

# The columns of a synced row, in the imports' words (branches/resources.py).
TREE_HEADERS = ["编码", "名称", "类型", "上级编码"]
ROSTER_HEADERS = ["姓名", "党员类别", "党小组", "入党日期", "手机", "离开日期", "备注"]


@service
def create_token(
    *, by: User, name: str, organization: Organization, scope: str
) -> tuple[ApiToken, str]:
    """A new token and its key, which is shown once and stored only as its digest. Only
    the 安全管理员 creates tokens (三员分立: the 系统管理员 never gives anyone, a system
    included, a way to read scores), over an organization where they grant roles."""
    if not has_perm(by, Perm.GRANT_ROLES, organization):
        raise BranchesError("只有安全管理员可以在其管理范围内创建接口令牌。")
    if scope not in TokenScope.values:
        raise BranchesError("请选择令牌的权限。")
    name = name.strip()
    if not name or len(name) > 100:
        raise BranchesError("请填写令牌用途（不超过 100 个字）。")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    account = User(username=f"api-{secrets.token_hex(6)}", name=f"接口：{name}"[:50])
    account.set_unusable_password()
    account.save()
    token = ApiToken.objects.create(
        name=name,
        organization=organization,
        scope=scope,
        account=account,
        prefix=key[:SHOWN_PREFIX],
        key_hash=digest(key),
        created_by=by,
    )
    return token, key


@service
def revoke_token(token: ApiToken, *, by: User) -> ApiToken:
    """Revoke at once: every later request with it is refused (401). Its service account
    is disabled with it."""
    token = ApiToken.objects.select_for_update().select_related("account").get(pk=token.pk)
    if token.revoked_at is not None:
        raise BranchesError("该令牌已经吊销。")
    token.revoked_at, token.revoked_by = timezone.now(), by
    token.save(update_fields=["revoked_at", "revoked_by"])
    token.account.is_active = False
    token.account.save(update_fields=["is_active"])
    return token


def record_use(token: ApiToken, *, method: str, path: str, status: int, ip: str | None) -> None:
    """Log one request made with the token, accepted or refused."""
    now = timezone.now()
    with transaction.atomic():
        ApiTokenUse.objects.create(
            token=token, at=now, method=method[:10], path=path[:200], status=status, ip=ip
        )
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)


def _sheet(headers: list[str], rows: list[list]) -> Sheet:
    """Rows numbered from 1 as the report counts them (the payload's position)."""
    return Sheet(headers=headers, rows=list(enumerate(rows, start=1)))


def sync_tree(token: ApiToken, *, by: User, rows: list[list]) -> dict:
    """Create or update organizations by 编码 (a row per organization: 编码, 名称, 类型,
    上级编码), parents in or out of the payload; organizations it does not name are left
    as they are. The tree import's rules and audit; nothing written when nothing changed."""
    sheet = _sheet(TREE_HEADERS, rows)
    return importing.sync_rows(
        lambda: importing.check_rows("organizations", sheet, by=by, dry_run=False),
        by=by,
        source="api",
        record_on=token,
    )


def sync_roster(token: ApiToken, org: Organization, *, by: User, rows: list[list]) -> dict:
    """Create or update the branch's members by 姓名 (the roster import's rules and
    audit); members it does not name are left as they are."""
    sheet = _sheet(ROSTER_HEADERS, rows)
    return importing.sync_rows(
        lambda: roster_importer.check_rows(org, sheet, by=by, dry_run=False),
        by=by,
        source="api",
        record_on=token,
    )
