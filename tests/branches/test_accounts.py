import io
import time

import pytest
from django.urls import reverse

from branches.toolkit.middleware import IDLE_KEY
from tests.conftest import PASSWORD


def login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_login_page_is_chinese(client, db):
    page = client.get(reverse("login")).content.decode()
    assert "请使用工号登录" in page and "工号" in page and "密码" in page


def test_wrong_password_says_so_in_chinese(client, secretary_a):
    page = login(client, "sec_a", "wrong").content.decode()
    assert "工号或密码不正确" in page


def test_lockout_after_repeated_failures_by_username(client, secretary_a, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "sec_a", "wrong")
    response = login(client, "sec_a", PASSWORD)  # even the right password is refused now
    assert response.status_code == 429
    assert "账号已被暂时锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Another account from the same address is not locked.
    assert login(client, "nobody-else", "x").status_code == 200


def test_successful_login_resets_the_failure_count(client, secretary_a, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, "sec_a", "wrong")
    assert login(client, "sec_a", PASSWORD).status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, "sec_a", "wrong")
    assert login(client, "sec_a", PASSWORD).status_code == 302


def test_idle_session_is_logged_out(client, secretary_a, settings):
    assert login(client, "sec_a", PASSWORD).status_code == 302
    assert client.get(reverse("home")).status_code == 200
    session = client.session
    session[IDLE_KEY] = int(time.time()) - settings.SESSION_IDLE_MINUTES * 60 - 5
    session.save()
    response = client.get(reverse("home"), follow=True)
    assert response.redirect_chain[0][0].startswith(reverse("login"))
    assert "未操作" in response.content.decode()
    assert client.get(reverse("home")).status_code == 302


def test_active_session_survives(client, secretary_a, settings):
    login(client, "sec_a", PASSWORD)
    session = client.session
    session[IDLE_KEY] = int(time.time()) - settings.SESSION_IDLE_MINUTES * 60 + 60
    session.save()
    assert client.get(reverse("home")).status_code == 200


def test_password_change_enforces_validators(client, secretary_a):
    client.force_login(secretary_a)
    url = reverse("password_change")
    weak = client.post(
        url, {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"}
    )
    assert weak.status_code == 200
    assert "全部为数字" in weak.content.decode() or "太常见" in weak.content.decode()
    ok = client.post(
        url,
        {
            "old_password": PASSWORD,
            "new_password1": "Hongqi#Piaopiao9",
            "new_password2": "Hongqi#Piaopiao9",
        },
    )
    assert ok.status_code == 302
    secretary_a.refresh_from_db()
    assert secretary_a.check_password("Hongqi#Piaopiao9")


def test_logout_is_a_post(client, secretary_a):
    client.force_login(secretary_a)
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("home")).status_code == 302


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("sj01", "支部书记"),
        ("kp01", "考评员"),
        ("dq01", "党群部管理员"),
        ("ld01", "领导"),
        ("xt01", "系统管理员"),
        ("aq01", "安全管理员"),
        ("sh01", "审计员"),
    ],
)
def test_each_demo_login_lands_on_its_role_home(client, db, username, expected):
    from django.core.management import call_command

    call_command("load_demo")
    response = client.post(
        reverse("login"), {"username": username, "password": "Dangjian@2026"}, follow=True
    )
    verify = reverse("second_factor_verify")
    asked = response.redirect_chain[-1][0].startswith(verify)
    assert asked == (username in {"dq01", "xt01", "sh01", "aq01"})
    if asked:
        # The demo's privileged logins type the code `manage.py otp_code` prints.
        assert f"manage.py otp_code {username}" in response.content.decode()
        out = io.StringIO()
        call_command("otp_code", username, stdout=out)
        response = client.post(verify, {"token": out.getvalue().strip()}, follow=True)
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("home")
    assert f'<h2 class="h5">{expected}</h2>' in page


def test_otp_code_prints_only_for_the_demo_devices(db, settings):
    from django.core.management import CommandError, call_command

    from branches.models import Organization, Role
    from tests import otp
    from tests.conftest import make_user

    call_command("load_demo", verbosity=0)
    # A real account with a phone of its own.
    dept = make_user("dept", (Organization.objects.get(code="JT"), Role.DEPT_ADMIN))
    otp.enrolled_device(dept)
    for username in ("dept", "sj01", "nobody"):
        with pytest.raises(CommandError, match="not a demo login"):
            call_command("otp_code", username)
    settings.SECURE = True
    with pytest.raises(CommandError, match="DJANGO_SECURE"):
        call_command("otp_code", "dq01")


def test_no_account_outside_the_demo_has_a_known_password(db):
    from django.core.management import call_command

    from branches.models import User

    # That the real migrations create no account: test_commands.py, on a migrated database.
    assert not User.objects.exists()
    call_command("load_demo")
    demo = {"sj01", "sj02", "kp01", "kp02", "kp03", "kp04", "dq01", "ld01", "xt01", "aq01", "sh01"}
    assert set(User.objects.values_list("username", flat=True)) == demo
