"""The second factor, through HTTP with real TOTP codes: a privileged user enrols on
first login (QR code and key on the page, a code to confirm, ten recovery codes shown
once), proves it at every later login (a wrong code refused and throttled, a recovery
code good once), reaches nothing else before; the 安全管理员 resets it; a 支部书记 is
never asked."""

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from branches.models import AuditEntry, Role
from tests import otp
from tests.conftest import PASSWORD, make_user

HOME = reverse("home")
LOGIN = reverse("login")
PEOPLE = "/people/second-factor/"


def password_login(client: Client, username: str):
    response = client.post(LOGIN, {"username": username, "password": PASSWORD})
    assert response.status_code == 302, f"password of {username} refused"
    return client.get(response.url, follow=True)


def enrol(client: Client, username: str) -> list[str]:
    """First login: password, then the enrolment page's key into the 'phone'."""
    page = password_login(client, username)
    assert landed(page).startswith(otp.ENROL)
    html = page.content.decode()
    code = otp.code_from_secret(otp.secret_on_page(html))
    response = client.post(otp.ENROL, {"token": code}, follow=True)
    assert landed(response).startswith(otp.RECOVERY_CODES)
    codes = response.context["codes"]
    client.post(otp.RECOVERY_CODES, {})
    return codes


def landed(response) -> str:
    """The page the browser ends on (path and query)."""
    query = response.request.get("QUERY_STRING")
    return response.request["PATH_INFO"] + (f"?{query}" if query else "")


def messages_of(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def test_first_login_enrols_with_the_qr_code_then_shows_ten_recovery_codes_once(client, dept_admin):
    page = password_login(client, "dept")
    assert landed(page).startswith(otp.ENROL)
    html = page.content.decode()
    assert '<svg width="' in html and 'class="segno"' in html  # the QR code, inline
    assert "dept" in html
    secret = otp.secret_on_page(html)
    # Nothing else opens before the second factor: pages, exports, the admin.
    for url in (HOME, "/orgs/", "/people/", "/admin/", reverse("password_change")):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(otp.ENROL), url
    assert client.get("/orgs/", headers={"HX-Request": "true"})["HX-Redirect"].startswith(otp.ENROL)

    wrong = client.post(otp.ENROL, {"token": "000000"})
    assert wrong.status_code == 200
    assert "验证码不正确" in wrong.content.decode()
    with override_settings(OTP_TOTP_THROTTLE_FACTOR=0):
        response = client.post(
            otp.ENROL, {"token": otp.code_from_secret(secret), "next": "/orgs/"}, follow=True
        )
    assert landed(response).startswith(otp.RECOVERY_CODES)
    codes = response.context["codes"]
    assert len(codes) == len(set(codes)) == 10
    shown = response.content.decode()
    assert all(code in shown for code in codes)
    download = client.get(reverse("second_factor_recovery_codes_download"))
    assert download["Content-Type"].startswith("text/plain")
    assert all(code in download.content.decode() for code in codes)

    done = client.post(otp.RECOVERY_CODES, {"next": "/orgs/"}, follow=True)
    assert landed(done) == "/orgs/" and done.status_code == 200
    # Shown once: gone from the page and the download afterwards.
    assert client.get(otp.RECOVERY_CODES).url == HOME
    assert client.get(reverse("second_factor_recovery_codes_download")).status_code == 404
    # Enrolled: the page no longer offers a new key.
    assert client.get(otp.ENROL, follow=True).request["PATH_INFO"] == HOME
    actions = list(
        AuditEntry.objects.filter(object_id=str(dept_admin.pk)).values_list("action", flat=True)
    )
    assert "otp_enrol" in actions and "otp_failed" in actions


def test_later_logins_verify_a_real_code_and_refuse_a_wrong_one(dept_admin, auditor):
    enrol(Client(), "dept")

    client = Client()
    page = password_login(client, "dept")
    assert landed(page).startswith(otp.VERIFY)
    assert client.get("/orgs/").url.startswith(otp.VERIFY)

    wrong = client.post(otp.VERIFY, {"token": "123456"})
    assert "验证码不正确" in wrong.content.decode()
    # Throttled (django-otp): right after a failure even the right code waits.
    throttled = client.post(otp.VERIFY, {"token": otp.code_for(dept_admin)})
    assert "请 1 秒后再试" in throttled.content.decode()
    assert client.get("/orgs/").status_code == 302

    with override_settings(OTP_TOTP_THROTTLE_FACTOR=0):
        response = client.post(otp.VERIFY, {"token": otp.code_for(dept_admin), "next": "/orgs/"})
    assert response.status_code == 302 and response.url == "/orgs/"
    assert client.get("/orgs/").status_code == 200
    failures = AuditEntry.objects.filter(action="otp_failed", object_id=str(dept_admin.pk))
    assert failures.count() == 2  # the wrong code and the throttled attempt
    assert {e.changes["reason"]["new"] for e in failures} == {"动态验证码错误", "尝试过于频繁"}

    # The 审计员 reads them in the audit trail.
    reader = Client()
    reader.force_login(auditor)
    trail = reader.get(reverse("audit_list"), {"action": "otp_failed"}).content.decode()
    assert "动态验证码错误" in trail and "尝试过于频繁" in trail


def test_a_recovery_code_works_once(auditor):
    codes = enrol(Client(), "auditor")

    client = Client()
    password_login(client, "auditor")
    response = client.post(otp.VERIFY, {"token": codes[0].upper()}, follow=True)
    assert landed(response) == HOME
    assert "还剩 9 个" in messages_of(response)
    entry = AuditEntry.objects.filter(action="otp_recovery").get()
    assert entry.actor_id == auditor.pk and entry.changes["left"]["new"] == "9 个"

    again = Client()
    password_login(again, "auditor")
    refused = again.post(otp.VERIFY, {"token": codes[0]})
    assert refused.status_code == 200 and "验证码不正确" in refused.content.decode()
    assert again.get(HOME).url.startswith(otp.VERIFY)


def test_a_secretary_is_never_asked(client, secretary_a):
    page = password_login(client, "sec_a")
    assert landed(page) == HOME and page.status_code == 200
    assert client.get(otp.VERIFY).url == HOME
    assert client.get(otp.ENROL).url == HOME


@pytest.mark.parametrize("person", ["sysadmin", "superuser"])
def test_every_privileged_kind_is_asked(client, request, person):
    request.getfixturevalue(person)
    username = "root" if person == "superuser" else person
    page = password_login(client, username)
    assert landed(page).startswith(otp.ENROL)
    assert client.get("/admin/").url.startswith(otp.ENROL)


@pytest.fixture
def security_admin(tree):
    return make_user("anquan", (tree.root, Role.SECURITY_ADMIN), name="安全管理员")


def test_the_security_admin_resets_a_lost_phone(dept_admin, security_admin, tree):
    enrol(Client(), "dept")
    lost = Client()  # dept's session from before the reset
    password_login(lost, "dept")
    lost.post(otp.VERIFY, {"token": otp.code_for(dept_admin)})
    assert lost.get("/orgs/").status_code == 200

    admin = Client()
    admin.force_login(security_admin)  # password and code (tests/conftest.py)
    page = admin.get(PEOPLE)
    html = page.content.decode()
    assert 'data-username="dept"' in html and "已绑定" in html
    row = html[html.index('data-username="dept"') :]
    assert reverse("second_factor_reset", args=[dept_admin.pk]) in row
    assert "data-confirm=" in row
    response = admin.post(reverse("second_factor_reset", args=[dept_admin.pk]), follow=True)
    assert "已重置" in messages_of(response)
    entry = AuditEntry.objects.filter(action="otp_reset").get()
    assert entry.actor_id == security_admin.pk and entry.object_id == str(dept_admin.pk)

    # The old session and the next login both go to enrol again.
    assert lost.get("/orgs/").url.startswith(otp.ENROL)
    fresh = Client()
    assert landed(password_login(fresh, "dept")).startswith(otp.ENROL)


def test_who_may_reset(client, dept_admin, secretary_a, sysadmin, security_admin, tree):
    reset = reverse("second_factor_reset", args=[dept_admin.pk])
    own = reverse("second_factor_reset", args=[security_admin.pk])
    local = make_user("anquan_e2", (tree.e2, Role.SECURITY_ADMIN), name="二公司安全管理员")

    client.force_login(security_admin)
    assert client.post(own).status_code == 403  # never one's own
    client.force_login(local)
    assert client.post(reset).status_code == 404  # dept's role lies outside its scope
    assert b'data-username="dept"' not in client.get(PEOPLE).content
    for person in (secretary_a, sysadmin):
        client.force_login(person)
        assert client.get(PEOPLE).status_code == 403
        assert client.post(reset).status_code == 403
    assert client.post(reverse("second_factor_reset", args=[99999999999999999999])).status_code in (
        403,
        404,
    )
    assert not AuditEntry.objects.filter(action="otp_reset").exists()


def test_the_reset_list_costs_the_same_for_many_accounts(client, security_admin, tree):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(security_admin)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(PEOPLE).status_code == 200
        return len(captured)

    make_user("d1", (tree.e1, Role.DEPT_ADMIN))
    few = queries()
    for n in range(2, 8):
        make_user(f"d{n}", (tree.e2, Role.AUDITOR), (tree.a, Role.AUDITOR))
    assert queries() == few


def test_the_second_factor_comes_before_a_required_password_change(client, tree):
    make_user("newdept", (tree.root, Role.DEPT_ADMIN), must_change_password=True)
    page = password_login(client, "newdept")
    assert landed(page).startswith(otp.ENROL)
    code = otp.code_from_secret(otp.secret_on_page(page.content.decode()))
    response = client.post(otp.ENROL, {"token": code}, follow=True)
    assert landed(response).startswith(otp.RECOVERY_CODES)  # the codes are shown first
    response = client.post(otp.RECOVERY_CODES, {}, follow=True)
    assert landed(response) == reverse("password_change")
