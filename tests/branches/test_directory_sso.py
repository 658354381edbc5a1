"""Single sign-on through real providers started in a second process on loopback: an
OpenID Connect provider built with django-oauth-toolkit (tests/sso/oidc_provider, its RSA
key generated here) and a CAS server, django-cas-server (tests/sso/cas_server, in its own
virtualenv .venv-cas). The browser's part is played by two HTTP clients: the test client
on the app's side and ``requests`` on the provider's, each following the other's redirects
as a browser does; the app itself talks to the provider over HTTP (tokens, userinfo,
JWKS, ticket validation)."""

import re
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.urls import reverse

from branches.models import AuditEntry, User
from tests.conftest import make_person
from tests.sso import servers

APP = "http://testserver"
# (provider login, password, 工号): zhangsan is 甲书记 (sec_a) here, wangwu has no account.
PEOPLE = [["zhangsan", "Zhang#sso2026", "sec_a"], ["wangwu", "Wang#sso2026", "99999"]]


def through_provider(client, start: str, username: str, password: str):
    """Click the login page's button, sign in on the provider's page, come back: the app's
    final page (test client response, redirects followed) or the provider's own page when
    it keeps the person there (a wrong password)."""
    login = client.get(reverse("login"))
    assert start in login.content.decode()  # the button is on the login page
    away = client.get(start)
    assert away.status_code == 302
    browser = requests.Session()
    page = browser.get(away["Location"], timeout=10)  # → the provider's login page
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    form = {"csrfmiddlewaretoken": token, "username": username, "password": password}
    for name in ("next", "lt", "service"):  # hidden fields of the provider's form
        if found := re.search(rf'name="{name}"[^>]*value="([^"]*)"', page.text):
            form[name] = found.group(1).replace("&amp;", "&")
    answer = browser.post(page.url, data=form, allow_redirects=False, timeout=10)
    while answer.is_redirect and not answer.headers["Location"].startswith(APP):
        answer = browser.get(
            urljoin(answer.url, answer.headers["Location"]), allow_redirects=False, timeout=10
        )
    if not answer.is_redirect:
        return answer  # the provider kept the person on its page
    back = urlsplit(answer.headers["Location"])
    return client.get(f"{back.path}?{back.query}", follow=True)


# -- OpenID Connect ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def oidc_provider(tmp_path_factory):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    server = servers.start(
        "oidc_provider",
        tmp_path_factory.mktemp("oidc"),
        {
            "client_id": "kaoping",
            "client_secret": "Kaoping#client-secret-1",
            "redirect_uri": f"{APP}/accounts/sso/oidc/callback/",
            "people": PEOPLE,
        },
        env={"PROVIDER_RSA_KEY": pem},
    )
    yield server
    server.stop()


@pytest.fixture
def oidc(settings, oidc_provider, tree):
    """The settings the OIDC_* environment variables give (docs/operations.md)."""
    base = oidc_provider.base
    settings.OIDC_ENABLED = True
    settings.OIDC_RP_CLIENT_ID = "kaoping"
    settings.OIDC_RP_CLIENT_SECRET = "Kaoping#client-secret-1"
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{base}/o/authorize/"
    settings.OIDC_OP_TOKEN_ENDPOINT = f"{base}/o/token/"
    settings.OIDC_OP_USER_ENDPOINT = f"{base}/o/userinfo/"
    settings.OIDC_OP_JWKS_ENDPOINT = f"{base}/o/.well-known/jwks.json"
    settings.OIDC_RP_SIGN_ALGO = "RS256"
    settings.OIDC_RP_SCOPES = "openid profile"
    settings.AUTHENTICATION_BACKENDS = [
        *settings.AUTHENTICATION_BACKENDS,
        "branches.directory.backends.OIDCBackend",
    ]
    return tree


def test_oidc_signs_a_directory_user_in_to_their_home_page(client, oidc):
    secretary = make_person(oidc, "secretary_a")
    login = client.get(reverse("login")).content.decode()
    assert "统一身份认证登录" in login
    page = through_provider(client, reverse("oidc_login"), "zhangsan", "Zhang#sso2026")
    html = page.content.decode()
    assert page.redirect_chain[-1][0] == reverse("home")
    assert "甲书记" in html and "甲党支部" in html
    assert int(client.session["_auth_user_id"]) == secretary.pk
    assert AuditEntry.objects.filter(action="login", actor=secretary).exists()


def test_oidc_refuses_a_wrong_password_and_an_unknown_person_in_chinese(client, oidc):
    make_person(oidc, "secretary_a")
    # The provider refuses the password on its own page (Chinese).
    page = through_provider(client, reverse("oidc_login"), "zhangsan", "Zhang#wrong")
    assert page.status_code == 200 and "请输入一个正确的" in page.text
    assert "_auth_user_id" not in client.session
    # The provider vouches for wangwu, whose 工号 has no account here.
    page = through_provider(client, reverse("oidc_login"), "wangwu", "Wang#sso2026")
    html = page.content.decode()
    assert page.redirect_chain[-1][0] == reverse("login")
    assert "统一身份认证未能登录：本系统中没有工号为“99999”的账号" in html
    assert "_auth_user_id" not in client.session
    assert not User.objects.filter(username__in=["99999", "wangwu"]).exists()
    failed = AuditEntry.objects.filter(action="login_failed").latest("pk")
    assert failed.actor_repr == "99999" and "目录登录" in str(failed.changes)


def test_without_configuration_there_is_no_button_and_no_way_in(client, tree):
    assert "统一身份认证" not in client.get(reverse("login")).content.decode()
    assert client.get(reverse("oidc_login")).status_code == 404
    assert client.get(reverse("oidc_callback")).status_code == 404
    assert client.get(reverse("cas_login")).status_code == 404


# -- CAS --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cas_server(tmp_path_factory):
    if not servers.CAS_PYTHON.exists():
        pytest.skip(
            f"{servers.CAS_PYTHON} is missing: `make install` creates it from "
            "tests/sso/cas_server/requirements.txt"
        )
    server = servers.start(
        "cas_server",
        tmp_path_factory.mktemp("cas"),
        {"service_pattern": r"^http://testserver/.*$", "people": PEOPLE},
        python=str(servers.CAS_PYTHON),
    )
    yield server
    server.stop()


@pytest.fixture
def cas(settings, cas_server, tree):
    """The settings the CAS_* environment variables give (docs/operations.md)."""
    settings.CAS_ENABLED = True
    settings.CAS_SERVER_URL = f"{cas_server.base}/cas/"
    settings.CAS_VERSION = "3"
    settings.AUTHENTICATION_BACKENDS = [
        *settings.AUTHENTICATION_BACKENDS,
        "branches.directory.backends.CASBackend",
    ]
    return tree


def test_cas_signs_a_directory_user_in_to_their_home_page(client, cas):
    secretary = make_person(cas, "secretary_a")
    assert "统一身份认证登录（CAS）" in client.get(reverse("login")).content.decode()
    page = through_provider(client, reverse("cas_login"), "zhangsan", "Zhang#sso2026")
    html = page.content.decode()
    assert page.redirect_chain[-1][0] == reverse("home")
    assert "甲书记" in html and "甲党支部" in html
    assert int(client.session["_auth_user_id"]) == secretary.pk
    assert AuditEntry.objects.filter(action="login", actor=secretary).exists()


def test_cas_refuses_a_wrong_password_and_an_unknown_person_in_chinese(client, cas):
    make_person(cas, "secretary_a")
    page = through_provider(client, reverse("cas_login"), "zhangsan", "Zhang#wrong")
    assert page.status_code == 200 and "您提供的令牌不能通过鉴权" in page.text
    assert "_auth_user_id" not in client.session
    page = through_provider(client, reverse("cas_login"), "wangwu", "Wang#sso2026")
    html = page.content.decode()
    assert page.redirect_chain[-1][0] == reverse("login")
    assert "统一身份认证未能登录：本系统中没有工号为“99999”的账号" in html
    assert "_auth_user_id" not in client.session
    failed = AuditEntry.objects.filter(action="login_failed").latest("pk")
    assert failed.actor_repr == "99999"
    # A forged ticket is refused too.
    page = client.get(reverse("cas_login") + "?ticket=ST-forged", follow=True)
    assert "统一身份认证未能登录：统一身份认证的票据无效或已过期" in page.content.decode()


def test_refusals_of_one_person_do_not_lock_another_out(client, oidc, settings):
    settings.AXES_FAILURE_LIMIT = 2
    make_person(oidc, "secretary_a")
    for _ in range(3):
        through_provider(client, reverse("oidc_login"), "wangwu", "Wang#sso2026")
    page = through_provider(client, reverse("oidc_login"), "zhangsan", "Zhang#sso2026")
    assert page.redirect_chain[-1][0] == reverse("home")
