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


def through_provider(client, start: str, username: str, password: str, browser=None):
    """Click the login page's button, sign in on the provider's page, come back: the app's
    final page (test client response, redirects followed) or the provider's own page when
    it keeps the person there (a wrong password). ``browser`` keeps the provider's
    cookies from one sign-in to the next, as one browser does."""
    login = client.get(reverse("login"))
    assert start in login.content.decode()  # the button is on the login page
    away = client.get(start)
    assert away.status_code == 302
    browser = browser or requests.Session()
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
            "post_logout_redirect_uri": f"{APP}/accounts/login/",
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


# -- signing out --------------------------------------------------------------------------


def button_alone(client, start: str, browser) -> str:
    """Click the single sign-on button again in the same browser: where it ends — the
    app's page the provider sent straight back to, or the provider's password page."""
    away = client.get(start)
    answer = browser.get(away["Location"], allow_redirects=False, timeout=10)
    while answer.is_redirect and not answer.headers["Location"].startswith(APP):
        answer = browser.get(
            urljoin(answer.url, answer.headers["Location"]), allow_redirects=False, timeout=10
        )
    if not answer.is_redirect:
        assert 'name="password"' in answer.text
        return "password asked"
    back = urlsplit(answer.headers["Location"])
    page = client.get(f"{back.path}?{back.query}", follow=True)
    return page.redirect_chain[-1][0]


def sign_out_through(client, browser) -> str:
    """退出登录, following the provider's sign-out as the browser would: the app's page
    it ends on."""
    out = client.post(reverse("logout"))
    assert out.status_code == 302
    location = out["Location"]
    if location.startswith("http") and not location.startswith(APP):
        answer = browser.get(location, allow_redirects=False, timeout=10)
        while answer.is_redirect and not answer.headers["Location"].startswith(APP):
            answer = browser.get(
                urljoin(answer.url, answer.headers["Location"]),
                allow_redirects=False,
                timeout=10,
            )
        assert answer.is_redirect, answer.text[:300]
        location = answer.headers["Location"]
    return urlsplit(location).path


def test_signing_out_after_oidc_ends_the_providers_session_too(client, oidc, settings):
    """On a shared computer the next person must not be let in by the button alone: with
    the provider's end-session endpoint set, 退出登录 ends its session as well."""
    make_person(oidc, "secretary_a")
    browser = requests.Session()
    through_provider(client, reverse("oidc_login"), "zhangsan", "Zhang#sso2026", browser)
    # Without the endpoint only this system's session ends: the button alone lets the
    # person back in (what OIDC_OP_LOGOUT_ENDPOINT is for, docs/operations.md).
    assert sign_out_through(client, browser) == reverse("login")
    assert "_auth_user_id" not in client.session
    assert button_alone(client, reverse("oidc_login"), browser) == reverse("home")

    settings.OIDC_OP_LOGOUT_ENDPOINT = f"{oidc_provider_base(settings)}/o/logout/"
    settings.OIDC_STORE_ID_TOKEN = True
    client.post(reverse("logout"))
    assert button_alone(client, reverse("oidc_login"), browser) == reverse("home")
    assert client.session.get("oidc_id_token")  # the hint the sign-out gives the provider
    assert sign_out_through(client, browser) == reverse("login")
    assert "_auth_user_id" not in client.session
    assert button_alone(client, reverse("oidc_login"), browser) == "password asked"


def oidc_provider_base(settings) -> str:
    return settings.OIDC_OP_TOKEN_ENDPOINT.removesuffix("/o/token/")


def test_signing_out_after_cas_ends_the_cas_session_too(client, cas):
    make_person(cas, "secretary_a")
    browser = requests.Session()
    through_provider(client, reverse("cas_login"), "zhangsan", "Zhang#sso2026", browser)
    assert sign_out_through(client, browser) == reverse("login")
    assert "_auth_user_id" not in client.session
    assert button_alone(client, reverse("cas_login"), browser) == "password asked"


def test_a_password_sign_out_goes_to_the_login_page(client, tree):
    """Signing out is a POST (a link or an image cannot sign anyone out)."""
    make_person(tree, "secretary_a")
    client.force_login(User.objects.get(username="sec_a"))
    assert client.get(reverse("logout")).status_code == 405
    assert sign_out_through(client, None) == reverse("login")
    assert "_auth_user_id" not in client.session


def test_an_idle_sign_out_after_oidc_ends_the_providers_session_too(client, oidc, settings):
    """The person walked away: the idle limit signs them out at the next request from
    that browser, through the provider's sign-out, as 退出登录 would."""
    import time

    from branches.toolkit.middleware import IDLE_KEY

    settings.OIDC_OP_LOGOUT_ENDPOINT = f"{oidc_provider_base(settings)}/o/logout/?ui_locales=zh"
    settings.OIDC_STORE_ID_TOKEN = True
    make_person(oidc, "secretary_a")
    browser = requests.Session()
    through_provider(client, reverse("oidc_login"), "zhangsan", "Zhang#sso2026", browser)
    session = client.session
    session[IDLE_KEY] = int(time.time()) - settings.SESSION_IDLE_MINUTES * 60 - 120
    session.save()
    # An autosave (htmx) is told to leave the page for the provider's sign-out …
    hx = client.post("/notices/", headers={"HX-Request": "true"})
    assert hx["HX-Redirect"].startswith(settings.OIDC_OP_LOGOUT_ENDPOINT + "&")
    assert "_auth_user_id" not in client.session
    # … which ends the provider's session and comes back to the login page.
    answer = browser.get(hx["HX-Redirect"], allow_redirects=False, timeout=10)
    assert answer.is_redirect and answer.headers["Location"] == f"{APP}/accounts/login/"
    assert button_alone(client, reverse("oidc_login"), browser) == "password asked"
