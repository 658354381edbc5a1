"""The REST API over HTTP (Django's test client, real database): service-account tokens
(created by the 安全管理员 only, stored hashed, audited, revocable, each use logged), the
same access rules as the pages for every token scope (a matrix), the tree and roster
syncs (idempotent by code: the same payload again writes nothing, not even an audit row),
bounded inputs (400 with Chinese reasons, never a 500), the rate limit, and the schema."""

import hashlib
import json
import re

import pytest
from django.urls import reverse
from openapi_spec_validator import validate

from branches.access import visible_users
from branches.api import services
from branches.models import (
    ApiToken,
    ApiTokenUse,
    AuditEntry,
    Member,
    Organization,
    OrgKind,
    TokenScope,
)
from branches.services import BranchesError
from tests.conftest import make_org, make_user

API = "/api/v1"


def call(client, method: str, url: str, key: str | None = None, body=None, **extra):
    """One API request as another system makes it: JSON, the token in the header."""
    if key is not None:
        extra["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    data = json.dumps(body) if body is not None and not isinstance(body, str | bytes) else body
    return getattr(client, method.lower())(url, data=data, content_type="application/json", **extra)


@pytest.fixture
def tokens(tree, security_admin):
    """Keys by name: the whole tree or 一公司's subtree (E1), read or sync; a revoked one."""
    keys = {}
    for name, org, scope in [
        ("read_root", tree.root, TokenScope.READ),
        ("sync_root", tree.root, TokenScope.SYNC),
        ("read_e1", tree.e1, TokenScope.READ),
        ("sync_e1", tree.e1, TokenScope.SYNC),
        ("revoked", tree.root, TokenScope.READ),
    ]:
        token, keys[name] = services.create_token(
            by=security_admin, name=name, organization=org, scope=scope
        )
        if name == "revoked":
            services.revoke_token(token, by=security_admin)
    return keys


# -- tokens ---------------------------------------------------------------------------------


def test_a_token_is_stored_as_its_digest_and_audited_without_it(tree, security_admin):
    token, key = services.create_token(
        by=security_admin, name="人力资源系统", organization=tree.e1, scope=TokenScope.SYNC
    )
    assert key.startswith("kp_") and len(key) > 40
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert token.prefix == key[:11]
    assert not ApiToken.objects.filter(key_hash=key).exists()
    created = AuditEntry.objects.get(model="接口令牌", action="create")
    assert created.actor == security_admin and created.org_path == tree.e1.path
    assert "key_hash" not in created.changes and key not in json.dumps(created.changes)
    assert created.changes["scope"]["new"].startswith("同步")
    # Its service account holds no role, has no password and is not on the people pages.
    account = token.account
    assert not account.memberships.exists() and not account.has_usable_password()
    assert account not in visible_users(make_user("sys2", (tree.root, "sysadmin")))

    services.revoke_token(token, by=security_admin)
    revoked = AuditEntry.objects.get(model="接口令牌", action="update")
    assert set(revoked.changes) == {"revoked_at", "revoked_by"}
    token.account.refresh_from_db()
    assert not token.account.is_active
    with pytest.raises(BranchesError, match="已经吊销"):
        services.revoke_token(token, by=security_admin)


def test_only_the_security_administrator_creates_tokens(tree, sysadmin, dept_admin, client):
    """三员分立: the 系统管理员 (accounts) cannot issue a token, so cannot give any system a
    way to read scores; nor can the 党群部 (a business role)."""
    for person in (sysadmin, dept_admin):
        with pytest.raises(BranchesError, match="只有安全管理员"):
            services.create_token(
                by=person, name="x", organization=tree.root, scope=TokenScope.READ
            )
        client.force_login(person)
        assert client.get(reverse("api_tokens")).status_code == 403
        response = client.post(
            reverse("api_token_create"),
            {"name": "x", "organization": tree.root.pk, "scope": "read"},
        )
        assert response.status_code == 403
    assert not ApiToken.objects.exists()


def test_the_auditor_reads_tokens_and_their_uses_but_changes_nothing(
    tree, security_admin, auditor, client
):
    token, key = services.create_token(
        by=security_admin, name="报送", organization=tree.root, scope=TokenScope.READ
    )
    call(client, "GET", f"{API}/campaigns/", key)
    client.force_login(auditor)
    listing = client.get(reverse("api_tokens")).content.decode()
    assert "报送" in listing and "token-form" not in listing
    detail = client.get(reverse("api_token_detail", args=[token.pk])).content.decode()
    assert f"{API}/campaigns/" in detail and "吊销令牌" not in detail
    assert client.post(reverse("api_token_revoke", args=[token.pk])).status_code == 403
    assert client.post(reverse("api_token_create"), {"name": "x"}).status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None


def test_a_scoped_security_administrator_issues_tokens_inside_their_subtree_only(tree, client):
    security_e2 = make_user("sec_e2", (tree.e2, "security_admin"))
    with pytest.raises(BranchesError):
        services.create_token(by=security_e2, name="x", organization=tree.e1, scope=TokenScope.READ)
    client.force_login(security_e2)
    page = client.get(reverse("api_tokens")).content.decode()
    assert "二公司党委" in page and "一公司党委" not in page  # the choices offered
    once = re.search(r'name="once" value="([^"]+)"', page).group(1)
    refused = client.post(
        reverse("api_token_create"),
        {"name": "x", "organization": tree.e1.pk, "scope": "read", "once": once},
    )
    assert refused.status_code == 200 and "选择一个有效的选项" in refused.content.decode()
    assert not ApiToken.objects.exists()


def test_a_create_answer_sent_again_makes_no_second_token(tree, security_admin, client):
    """Reloading the page that shows the new key (or going back and sending the form
    again) must not issue a second live token whose key nobody saw."""
    client.force_login(security_admin)
    page = client.get(reverse("api_tokens")).content.decode()
    once = re.search(r'name="once" value="([^"]+)"', page).group(1)
    data = {"name": "报送", "organization": tree.root.pk, "scope": "read", "once": once}
    created = client.post(reverse("api_token_create"), data)
    assert created.status_code == 200 and "接口令牌已创建" in created.content.decode()
    again = client.post(reverse("api_token_create"), data, follow=True)
    assert "这份表单已经提交过，没有再创建令牌" in again.content.decode()
    assert ApiToken.objects.count() == 1


def test_no_scope_grants_roles_or_manages_accounts():
    from branches.access import TOKEN_PERMS, Perm

    for perms in TOKEN_PERMS.values():
        assert not perms & {Perm.GRANT_ROLES, Perm.MANAGE_PEOPLE, Perm.VIEW_AUDIT}
    assert Perm.VIEW_RESULTS not in TOKEN_PERMS[TokenScope.SYNC]


def test_each_use_is_logged_and_a_revoked_token_is_refused_in_chinese(tokens, client):
    assert call(client, "GET", f"{API}/organizations/", tokens["read_root"]).status_code == 200
    refused = call(client, "GET", f"{API}/organizations/", tokens["revoked"])
    assert refused.status_code == 401 and "已被吊销" in refused.json()["detail"]
    wrong = call(client, "GET", f"{API}/organizations/", "kp_" + "x" * 43)
    assert wrong.status_code == 401 and "令牌无效" in wrong.json()["detail"]
    assert call(client, "GET", f"{API}/organizations/").status_code == 401
    uses = {u.token.name: (u.method, u.path, u.status) for u in ApiTokenUse.objects.all()}
    assert uses == {
        "read_root": ("GET", f"{API}/organizations/", 200),
        "revoked": ("GET", f"{API}/organizations/", 401),
    }
    assert ApiToken.objects.get(name="read_root").last_used_at is not None


# -- the same rules as the pages, per token -------------------------------------------------

SCOPES = ["read_root", "sync_root", "read_e1", "sync_e1", "revoked", "none"]

# (method, url, body): expected status per token, in SCOPES order. E1 holds A (甲党支部);
# B (乙党支部) is under E2, outside E1's subtree: 404 there, as a page answers outsiders.
API_MATRIX = [
    ("GET", "/organizations/", None, [200, 200, 200, 200, 401, 401]),
    ("GET", "/organizations/A/", None, [200, 200, 200, 200, 401, 401]),
    ("GET", "/organizations/B/", None, [200, 200, 404, 404, 401, 401]),
    ("GET", "/organizations/NOPE/", None, [404, 404, 404, 404, 401, 401]),
    ("GET", "/organizations/A/members/", None, [200, 200, 200, 200, 401, 401]),
    ("GET", "/organizations/B/members/", None, [200, 200, 404, 404, 401, 401]),
    ("GET", "/organizations/A1/members/", None, [404, 404, 404, 404, 401, 401]),  # a 党小组
    (
        "PUT",
        "/organizations/A/members/",
        {"members": [{"name": "新党员", "status": "full"}]},
        [403, 200, 403, 200, 401, 401],
    ),
    (
        "PUT",
        "/organizations/B/members/",
        {"members": [{"name": "新党员", "status": "full"}]},
        [403, 200, 404, 404, 401, 401],
    ),
    (
        "PUT",
        "/organizations/",
        {"organizations": [{"code": "N1", "name": "新支部", "kind": "branch", "parent_code": "G"}]},
        [403, 200, 403, 200, 401, 401],
    ),
    (
        "PUT",
        "/organizations/",
        {
            "organizations": [
                {"code": "N2", "name": "新支部", "kind": "branch", "parent_code": "E2"}
            ]
        },
        [403, 200, 403, 400, 401, 401],  # E2 is outside E1: the import refuses the row
    ),
    ("GET", "/campaigns/", None, [200, 403, 200, 403, 401, 401]),
    ("GET", "/rectifications/", None, [200, 403, 200, 403, 401, 401]),
    ("GET", "/organizations/A/meetings/", None, [200, 403, 200, 403, 401, 401]),
    ("GET", "/organizations/B/meetings/", None, [200, 403, 404, 404, 401, 401]),
]


@pytest.mark.parametrize(
    ("method", "url", "body", "statuses"),
    [pytest.param(*row, id=f"{row[0]}{row[1]}") for row in API_MATRIX],
)
def test_api_permission_matrix(subtests, tokens, client, method, url, body, statuses):
    for scope, expected in zip(SCOPES, statuses, strict=True):
        with subtests.test(token=scope):
            key = tokens.get(scope)
            response = call(client, method, API + url, key, body)
            assert response.status_code == expected, (scope, response.content.decode())
            if expected >= 400:
                detail = json.dumps(response.json(), ensure_ascii=False)
                assert any("\u4e00" <= ch <= "\u9fff" for ch in detail), detail


# -- sync ----------------------------------------------------------------------------------


def _tree_payload(parent: str, count: int) -> dict:
    return {
        "organizations": [
            {"code": f"S{n:04d}", "name": f"同步支部{n}", "kind": "branch", "parent_code": parent}
            for n in range(count)
        ]
    }


def test_the_tree_sync_is_idempotent_and_audited_as_an_import(tokens, client):
    payload = {
        "organizations": [
            {"code": "E3", "name": "三公司党委", "kind": "committee", "parent_code": "R"},
            {"code": "E3B", "name": "三公司机关党支部", "kind": "branch", "parent_code": "E3"},
            {"code": "A", "name": "甲党支部（更名）", "kind": "branch", "parent_code": "G"},
        ]
    }
    before = AuditEntry.objects.count()
    first = call(client, "PUT", f"{API}/organizations/", tokens["sync_root"], payload)
    assert first.status_code == 200, first.content
    assert first.json()["counts"] == {"new": 2, "update": 1, "skip": 0, "error": 0}
    e3b = Organization.objects.get(code="E3B")
    assert e3b.parent.code == "E3" and e3b.enterprise.code == "E3"
    entries = list(AuditEntry.objects.order_by("pk")[before:])
    assert {e.source for e in entries} == {"api"}
    account = ApiToken.objects.get(name="sync_root").account
    assert {e.actor for e in entries} == {account}
    assert [e.action for e in entries].count("import") == 1

    rows = list(Organization.objects.values().order_by("pk"))
    audit_count = AuditEntry.objects.count()
    again = call(client, "PUT", f"{API}/organizations/", tokens["sync_root"], payload)
    assert again.status_code == 200
    assert again.json()["counts"] == {"new": 0, "update": 0, "skip": 3, "error": 0}
    assert list(Organization.objects.values().order_by("pk")) == rows
    assert AuditEntry.objects.count() == audit_count


def test_a_subtree_token_syncs_its_own_root_under_the_parent_it_has(tokens, client):
    """HR sends the subtree's root too, under its real parent (outside the token's reach):
    kept as it is, that is no change; moving anything under that parent is refused."""
    root = {"code": "E1", "name": "一公司党委", "kind": "committee", "parent_code": "R"}
    same = call(
        client, "PUT", f"{API}/organizations/", tokens["sync_e1"], {"organizations": [root]}
    )
    assert same.status_code == 200 and same.json()["counts"]["skip"] == 1
    renamed = {**root, "name": "一公司党委（新）"}
    answer = call(
        client, "PUT", f"{API}/organizations/", tokens["sync_e1"], {"organizations": [renamed]}
    )
    assert answer.status_code == 200 and answer.json()["counts"]["update"] == 1
    moved = {"code": "G", "name": "一厂党总支", "kind": "general_branch", "parent_code": "R"}
    refused = call(
        client, "PUT", f"{API}/organizations/", tokens["sync_e1"], {"organizations": [moved]}
    )
    assert refused.status_code == 400 and "不在您的管理范围内" in refused.content.decode()
    assert Organization.objects.get(code="G").parent.code == "E1"


def test_a_refused_row_stores_nothing_and_says_why(tokens, client):
    payload = _tree_payload("E1", 3)
    payload["organizations"][1]["parent_code"] = "NOWHERE"
    count = Organization.objects.count()
    response = call(client, "PUT", f"{API}/organizations/", tokens["sync_root"], payload)
    assert response.status_code == 400
    body = response.json()
    assert body["ok"] is False and body["counts"]["error"] == 1
    (refused,) = body["errors"]
    assert refused["row"] == 2
    assert "上级编码：上级编码“NOWHERE”不存在（文件中和系统中都没有）" in refused["errors"]
    assert Organization.objects.count() == count


def test_the_roster_sync_is_idempotent_even_for_members_who_left(tree, tokens, client):
    payload = {
        "members": [
            {"name": "张三", "status": "full", "joined_on": "2010-07-01", "party_group": "一组"},
            {"name": "李四", "status": "probationary"},
            {"name": "王五", "status": "full", "left_on": "2025-06-30"},
        ]
    }
    url = f"{API}/organizations/A/members/"
    first = call(client, "PUT", url, tokens["sync_e1"], payload)
    assert first.status_code == 200, first.content
    assert first.json()["counts"] == {"new": 3, "update": 0, "skip": 0, "error": 0}
    tree.a.refresh_from_db()
    assert (tree.a.full_members, tree.a.probationary_members) == (1, 1)  # from the roster
    rows = list(Member.objects.values().order_by("pk"))
    audit_count = AuditEntry.objects.count()
    again = call(client, "PUT", url, tokens["sync_e1"], payload)
    assert again.json()["counts"] == {"new": 0, "update": 0, "skip": 3, "error": 0}
    assert list(Member.objects.values().order_by("pk")) == rows
    assert AuditEntry.objects.count() == audit_count
    listed = call(client, "GET", url + "?include_left=true", tokens["read_e1"]).json()
    assert [m["name"] for m in listed["results"]] == ["李四", "王五", "张三"]
    assert listed["results"][2]["status_label"] == "正式党员"


# -- bounded inputs ------------------------------------------------------------------------

BAD = [
    ("GET", "/organizations/?page_size=0", None, "每页条数"),
    ("GET", "/organizations/?page_size=100000", None, "每页条数"),
    ("GET", "/organizations/?page_size=abc", None, "每页条数"),
    ("GET", "/organizations/?page=abc", None, "页码"),
    ("GET", "/organizations/?page=99", None, "页码超出范围"),
    ("GET", "/organizations/?page=99999999999999999999", None, "页码"),
    ("GET", "/organizations/?kind=planet", None, "不是合法选项"),
    ("GET", "/organizations/?q=" + "长" * 101, None, "100"),
    ("GET", "/rectifications/?campaign=99999999999999", None, "2147483647"),
    ("GET", "/rectifications/?campaign=x", None, "整数"),
    ("GET", "/organizations/A/meetings/?year=1066", None, "2000"),
    ("GET", "/organizations/?q=a%00b", None, "NUL"),  # refused before the view, as JSON
    ("PUT", "/organizations/", "{not json", "JSON"),
    ("PUT", "/organizations/", "", "必填"),
    ("PUT", "/organizations/", {}, "必填"),
    ("PUT", "/organizations/", {"organizations": []}, "至少"),
    ("PUT", "/organizations/", {"organizations": "x"}, "列表"),
    ("PUT", "/organizations/", {"organizations": [{"code": "X"}]}, "必填"),
    (
        "PUT",
        "/organizations/",
        {"organizations": [{"code": "X" * 33, "name": "n", "kind": "branch"}]},
        "32",
    ),
    (
        "PUT",
        "/organizations/A/members/",
        {"members": [{"name": "甲", "status": "x"}]},
        "不是合法选项",
    ),
    (
        "PUT",
        "/organizations/A/members/",
        {"members": [{"name": "甲", "status": "full", "joined_on": "2010-13-40"}]},
        "日期格式",
    ),
    (
        "PUT",
        "/organizations/A/members/",
        {"members": [{"name": "甲", "status": "full", "joined_on": "2999-01-01"}]},
        "不能晚于今天",
    ),
    (
        "PUT",
        "/organizations/A/members/",
        {"members": [{"name": "甲", "status": "full"}, {"name": "甲", "status": "full"}]},
        "重复",
    ),
]


def test_an_odd_code_in_the_path_is_a_404_not_a_500(tokens, client):
    for code in ("A%00B", "X" * 200, "%E4%B8%AD"):
        response = call(client, "GET", f"{API}/organizations/{code}/members/", tokens["read_root"])
        assert response.status_code == 404 and "不存在" in response.json()["detail"]


@pytest.mark.parametrize(("method", "url", "body", "says"), BAD, ids=[b[1][:40] for b in BAD])
def test_bad_input_is_a_400_in_chinese(tokens, client, method, url, body, says):
    key = tokens["sync_root"] if method == "PUT" else tokens["read_root"]
    response = call(client, method, API + url, key, body)
    assert response.status_code == 400, response.content
    assert says in json.dumps(response.json(), ensure_ascii=False)


def test_too_many_rows_or_bytes_are_refused(tokens, client, settings):
    response = call(
        client, "PUT", f"{API}/organizations/", tokens["sync_root"], _tree_payload("E1", 5001)
    )
    assert response.status_code == 400 and "5000" in response.content.decode()
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    big = json.dumps({"organizations": [], "pad": "x" * (1024 * 1024)})
    response = call(client, "PUT", f"{API}/organizations/", tokens["sync_root"], big)
    assert response.status_code == 400 and "超过 1 MB" in response.json()["detail"]


def test_the_rate_limit_answers_429_in_chinese(tokens, client, settings):
    settings.API_RATE_PER_MINUTE = 2
    from django.core.cache import cache

    cache.clear()
    statuses = [
        call(client, "GET", f"{API}/organizations/", tokens["read_e1"]).status_code
        for _ in range(3)
    ]
    assert statuses == [200, 200, 429]
    last = call(client, "GET", f"{API}/organizations/", tokens["read_e1"])
    assert "限速" in last.json()["detail"] or "请求" in last.json()["detail"]
    # Another token has its own allowance.
    assert call(client, "GET", f"{API}/organizations/", tokens["read_root"]).status_code == 200
    cache.clear()


def test_lists_are_paginated_within_bounds(tokens, client):
    for n in range(12):
        make_org(f"P{n:02d}", OrgKind.BRANCH, Organization.objects.get(code="E1"))
    page = call(client, "GET", f"{API}/organizations/?page_size=5&page=2", tokens["read_e1"])
    body = page.json()
    assert body["count"] == 16 and len(body["results"]) == 5  # E1, G, A, A1 and the 12
    assert body["results"][0]["parent_code"] == "E1"
    under = call(client, "GET", f"{API}/organizations/?under=G", tokens["read_root"]).json()
    assert [o["code"] for o in under["results"]] == ["G", "A", "A1"]


# -- the schema and its docs page ----------------------------------------------------------


def test_drf_spectacular_builds_the_schema_without_a_warning(tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", tmp_path / "s.yaml")
    assert "/api/v1/organizations/{code}/members/" in (tmp_path / "s.yaml").read_text()


def test_the_schema_validates_and_the_docs_page_uses_no_cdn(tokens, client, security_admin):
    response = call(client, "GET", "/api/schema/?format=json", tokens["read_root"])
    assert response.status_code == 200
    schema = json.loads(response.content)
    validate(schema)  # openapi-spec-validator: a valid OpenAPI 3 document
    assert schema["components"]["securitySchemes"]["token"]["scheme"] == "bearer"
    paths = set(schema["paths"])
    assert {"/api/v1/organizations/", "/api/v1/campaigns/{id}/results/"} <= paths

    assert client.get("/api/docs/").status_code == 302  # a person logs in first
    client.force_login(security_admin)
    docs = client.get("/api/docs/")
    html = docs.content.decode()
    assert docs.status_code == 200
    assert "https://" not in html and "http://" not in html.replace("http://testserver", "")
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and b"/api/schema/" in script.content
    asset = client.get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert asset.status_code == 200
