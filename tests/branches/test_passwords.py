"""Weak passwords are refused (dangjian2026, kp03kp03kp03 for kp03, the current password
again) and a password an administrator set must be changed. The rules: 8+ characters
with 3 of 4 character classes, not the username, none of the last 5; changed at the next
login after an administrator set it; optional expiry (PASSWORD_MAX_AGE_DAYS)."""

import itertools
from datetime import timedelta

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from branches import services
from branches.models import PasswordHistory, Role, User
from tests.conftest import PASSWORD, make_user


def change(client, old, new):
    return client.post(
        reverse("password_change"),
        {"old_password": old, "new_password1": new, "new_password2": new},
    )


def errors_of(response) -> str:
    assert response.status_code == 200, "the change was accepted"
    return response.content.decode()


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        ("sj09", "dangjian2026", "须至少包含大写字母、小写字母、数字、符号四类中的 3 类"),
        ("kp03", "kp03kp03kp03", "密码不能包含工号"),
        ("kp03", "Kp03#Kaoping", "密码不能包含工号"),  # whatever the case
        ("sj09", "Ab#1", "此密码太短，至少要包含 8 个字符"),
    ],
)
def test_weak_passwords_are_refused_in_chinese(client, tree, username, password, message):
    user = make_user(username, (tree.a, Role.SECRETARY))
    client.force_login(user)
    assert message in errors_of(change(client, PASSWORD, password))
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_the_demo_password_and_the_fixtures_password_pass(db):
    validate_password("Dangjian@2026", User(username="sj01"))
    validate_password("Kaoping#2026", User(username="kp03"))


def test_the_current_password_is_refused(client, secretary_a):
    client.force_login(secretary_a)
    page = errors_of(change(client, PASSWORD, PASSWORD))
    assert "新密码不能与当前密码或最近 5 次使用过的密码相同" in page


def test_none_of_the_last_five_passwords_may_be_reused(client, secretary_a):
    client.force_login(secretary_a)
    used = [PASSWORD] + [f"Mima#{n}Xinde" for n in range(1, 6)]
    for old, new in itertools.pairwise(used):
        assert change(client, old, new).status_code == 302, new
    current = used[-1]
    for earlier in used[-5:-1]:  # the four before the current one, and the current one
        page = errors_of(change(client, current, earlier))
        assert "最近 5 次使用过的密码" in page
    assert "最近 5 次" in errors_of(change(client, current, current))
    # The sixth-last (the first) has dropped out of the history: it may come back.
    assert change(client, current, PASSWORD).status_code == 302
    assert PasswordHistory.objects.filter(user=secretary_a).count() == 5


def test_an_administrators_password_must_be_changed_at_next_login(
    client, sysadmin, security_admin, secretary_b
):
    client.force_login(sysadmin)
    client.post(
        reverse("person_set_password", args=[secretary_b.pk]),
        {"password1": "Chushi#2026mm", "password2": "Chushi#2026mm"},
    )
    # A 支部书记 reads scores: the reset takes effect once the 安全管理员 approves it.
    client.force_login(security_admin)
    reset = secretary_b.password_resets.get()
    assert client.post(reverse("password_reset_approve", args=[reset.pk])).status_code == 302
    client.logout()

    response = client.post(
        reverse("login"), {"username": "sec_b", "password": "Chushi#2026mm"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("password_change")
    assert "您的密码由管理员设置，请先修改" in response.content.decode()
    # Every other page sends them back until the password is changed.
    assert client.get(reverse("home"))["Location"] == reverse("password_change")
    assert client.get(reverse("rubric_list"))["Location"] == reverse("password_change")
    assert change(client, "Chushi#2026mm", "Chushi#2026mm").status_code == 200  # same again
    assert change(client, "Chushi#2026mm", "Benren#Mima88").status_code == 302
    assert client.get(reverse("home")).status_code == 200
    secretary_b.refresh_from_db()
    assert not secretary_b.must_change_password


def test_logout_stays_possible_while_a_change_is_required(client, secretary_a):
    User.objects.filter(pk=secretary_a.pk).update(must_change_password=True)
    client.force_login(secretary_a)
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("home"))["Location"].startswith(reverse("login"))


def test_an_initial_password_given_at_creation_must_be_changed(sysadmin, db):
    person = services.create_user(
        by=sysadmin, username="300100", name="新人", password="Chushi#2026mm"
    )
    assert person.must_change_password


def test_a_password_set_in_the_admin_must_be_changed(client, superuser, secretary_a):
    client.force_login(superuser)
    url = reverse("admin:auth_user_password_change", args=[secretary_a.pk]).replace(
        "/auth/user/", "/branches/user/"
    )
    response = client.post(url, {"password1": "Houtai#2026mm", "password2": "Houtai#2026mm"})
    assert response.status_code == 302
    secretary_a.refresh_from_db()
    assert secretary_a.check_password("Houtai#2026mm") and secretary_a.must_change_password


def test_expiry_is_off_by_default_and_forces_a_change_when_on(client, secretary_a, settings):
    User.objects.filter(pk=secretary_a.pk).update(
        password_changed_at=timezone.now() - timedelta(days=400)
    )
    client.force_login(secretary_a)
    assert settings.PASSWORD_MAX_AGE_DAYS == 0
    assert client.get(reverse("home")).status_code == 200
    settings.PASSWORD_MAX_AGE_DAYS = 90
    response = client.get(reverse("home"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("password_change")
    assert "您的密码已使用超过 90 天" in response.content.decode()
    assert change(client, PASSWORD, "Xinde#Mima2027").status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_a_bad_expiry_setting_names_the_variable(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from config.settings import env_int

    monkeypatch.setenv("PASSWORD_MAX_AGE_DAYS", "ninety")
    with pytest.raises(ImproperlyConfigured, match="PASSWORD_MAX_AGE_DAYS"):
        env_int("PASSWORD_MAX_AGE_DAYS", 0)


def test_history_validator_messages_are_chinese(secretary_a):
    with pytest.raises(ValidationError) as exc:
        validate_password(PASSWORD, secretary_a)
    assert exc.value.messages == ["新密码不能与当前密码或最近 5 次使用过的密码相同。"]


def test_an_administrators_weak_password_reads_as_one_sentence(client, sysadmin):
    client.force_login(sysadmin)
    page = client.post(
        reverse("person_create"),
        {"username": "weak01", "name": "弱密码", "password": "weak01abc"},
    ).content.decode()
    assert "3 类（当前只有 2 类）；密码不能包含工号（登录名）。" in page
    assert "。；" not in page
    assert not User.objects.filter(username="weak01").exists()


def test_a_password_like_the_username_names_the_工号(client, tree):
    user = make_user("zhangwei88", (tree.a, Role.SECRETARY))
    client.force_login(user)
    page = errors_of(change(client, PASSWORD, "Zhangwei8#"))
    assert "密码跟 工号 太相似了" in page and "用户名" not in page


def test_a_weak_password_is_refused_without_hashing_the_history(client, secretary_a, monkeypatch):
    """Comparing with the last passwords costs a full hashing each: a password the cheap
    rules refuse anyway is not compared, so each weak attempt answers at once."""
    import branches.passwords

    compared = []
    real = branches.passwords.check_password
    monkeypatch.setattr(
        branches.passwords, "check_password", lambda *a: compared.append(1) or real(*a)
    )
    client.force_login(secretary_a)
    assert "当前只有 1 类" in errors_of(change(client, PASSWORD, "abcdefghij"))
    assert compared == []
    assert "最近 5 次" in errors_of(change(client, PASSWORD, PASSWORD))  # still refused
    assert compared


def test_the_rules_shown_beside_a_new_password_speak_as_the_pages_do(client, django_user_model):
    """The change-password page lists every rule, each addressed with 您 (never 你)."""
    user = django_user_model.objects.create_user("wording01", password="Old-pass-2026x")
    client.force_login(user)
    page = client.get("/accounts/password/").content.decode()
    assert "至少 8 个字符。" in page and "不能全是数字。" in page
    assert "你" not in page
