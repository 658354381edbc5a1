"""Signing in with the company's directory (LDAP / Active Directory) against a real
OpenLDAP server (Debian's slapd) that the session starts on a loopback port with its own
configuration and LDIF (tests/sso/ldap_server.py). People log in on the login page with
their directory login name or 工号 and their directory password; the entry's
employeeNumber names the account; nobody is created and no role is granted by signing in.
"""

import pytest
from django.urls import reverse

from branches.models import (
    AuditEntry,
    DirectoryRoleProposal,
    Membership,
    ProposalStatus,
    Role,
    User,
)
from tests.conftest import PASSWORD, make_person
from tests.sso import ldap_server

pytestmark = pytest.mark.skipif(bool(ldap_server.missing()), reason=str(ldap_server.missing()))


@pytest.fixture(scope="module")
def slapd(tmp_path_factory):
    server = ldap_server.start(tmp_path_factory.mktemp("slapd"))
    yield server
    server.stop()


@pytest.fixture
def directory(settings, slapd, tree):
    """The app configured as docs/operations.md shows (the settings the environment
    variables LDAP_* give), pointing at the test's slapd."""
    import ldap
    from django_auth_ldap.config import GroupOfNamesType, LDAPSearch

    settings.LDAP_ENABLED = True
    settings.AUTH_LDAP_SERVER_URI = slapd.uri
    settings.AUTH_LDAP_BIND_DN = ldap_server.BIND_DN
    settings.AUTH_LDAP_BIND_PASSWORD = ldap_server.BIND_PASSWORD
    settings.AUTH_LDAP_USER_SEARCH = LDAPSearch(
        ldap_server.PEOPLE_BASE, ldap.SCOPE_SUBTREE, "(|(uid=%(user)s)(employeeNumber=%(user)s))"
    )
    settings.AUTH_LDAP_GROUP_SEARCH = LDAPSearch(
        ldap_server.GROUPS_BASE, ldap.SCOPE_SUBTREE, "(objectClass=groupOfNames)"
    )
    settings.AUTH_LDAP_GROUP_TYPE = GroupOfNamesType()
    settings.AUTH_LDAP_NO_NEW_USERS = True
    settings.AUTH_LDAP_ALWAYS_UPDATE_USER = False
    settings.AUTH_LDAP_CONNECTION_OPTIONS = {ldap.OPT_NETWORK_TIMEOUT: 5, ldap.OPT_REFERRALS: 0}
    settings.LDAP_EMPLOYEE_NUMBER_ATTR = "employeeNumber"
    settings.LDAP_GROUP_ROLES = {ldap_server.REVIEWERS_GROUP.lower(): "reviewer@E1"}
    settings.AUTHENTICATION_BACKENDS = [
        *settings.AUTHENTICATION_BACKENDS,
        "branches.directory.backends.DirectoryBackend",
    ]
    return tree


def log_in(client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password}, follow=True)


def test_a_directory_user_signs_in_with_login_name_or_gonghao(client, directory):
    secretary = make_person(directory, "secretary_a")
    secretary.set_unusable_password()  # a directory-only account: no local password
    secretary.save()
    page = log_in(client, "zhangsan", "Zhang#dir2026")
    html = page.content.decode()
    assert page.redirect_chain[-1][0] == reverse("home")
    assert "甲书记" in html and "甲党支部" in html  # the secretary's own home page
    login = AuditEntry.objects.filter(action="login").latest("pk")
    assert login.actor == secretary
    client.logout()
    page = log_in(client, "sec_a", "Zhang#dir2026")  # the 工号 works as well
    assert page.redirect_chain[-1][0] == reverse("home")
    assert "甲党支部" in page.content.decode()


def test_a_wrong_directory_password_is_refused_in_chinese_and_audited(client, directory):
    make_person(directory, "secretary_a")
    page = log_in(client, "zhangsan", "Zhang#wrong")
    assert page.status_code == 200 and not page.redirect_chain
    assert "工号或密码不正确" in page.content.decode()
    failed = AuditEntry.objects.filter(action="login_failed").latest("pk")
    assert failed.actor_repr == "zhangsan"


def test_unknown_people_are_refused_in_chinese(client, directory):
    # Known to the directory, but no account has their 工号: refused, nothing created.
    page = log_in(client, "wangwu", "Wang#dir2026")
    html = page.content.decode()
    assert "域账号验证通过，但本系统中没有工号为“99999”的账号" in html
    failed = AuditEntry.objects.filter(action="login_failed").latest("pk")
    assert failed.actor_repr == "wangwu" and "99999" in str(failed.changes)
    # Known to the directory without a 工号.
    assert "目录中该账号没有登记工号" in log_in(client, "zhaoliu", "Zhao#dir2026").content.decode()
    # Unknown to the directory and to this system.
    assert "工号或密码不正确" in log_in(client, "nobody", "Nobody#2026").content.decode()
    assert not User.objects.filter(username__in=["99999", "wangwu", "zhaoliu", "nobody"]).exists()


def test_local_accounts_keep_working_beside_the_directory(client, directory):
    make_person(directory, "reviewer")
    page = log_in(client, "reviewer", PASSWORD)  # the local password
    assert page.redirect_chain[-1][0] == reverse("home")
    client.logout()
    page = log_in(client, "qianqi", "Qian#dir2026")  # the same account, by the directory
    assert page.redirect_chain[-1][0] == reverse("home")


def test_the_lockout_applies_to_directory_logins(client, directory, settings):
    settings.AXES_FAILURE_LIMIT = 3
    make_person(directory, "secretary_a")
    for _ in range(3):
        log_in(client, "zhangsan", "Zhang#wrong")
    page = log_in(client, "zhangsan", "Zhang#dir2026")  # the right password, too late
    assert "账号已被暂时锁定" in page.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_directory_sign_in_skips_the_local_password_change(client, directory):
    secretary = make_person(directory, "secretary_a")
    secretary.must_change_password = True
    secretary.save()
    page = log_in(client, "zhangsan", "Zhang#dir2026")
    assert page.redirect_chain[-1][0] == reverse("home")
    client.logout()
    page = log_in(client, "sec_a", PASSWORD)  # the local password: must be changed
    assert page.redirect_chain[-1][0] == reverse("password_change")


def test_a_directory_group_only_proposes_a_role_that_the_security_admin_confirms(client, directory):
    secretary = make_person(directory, "secretary_a")
    security_admin = make_person(directory, "security_admin")
    log_in(client, "zhangsan", "Zhang#dir2026")
    proposal = DirectoryRoleProposal.objects.get(user=secretary)
    assert (proposal.organization, proposal.role) == (directory.e1, Role.REVIEWER)
    assert proposal.status == ProposalStatus.PENDING
    assert not Membership.objects.filter(user=secretary, role=Role.REVIEWER).exists()
    # The person cannot confirm it (nobody grants themselves a role).
    assert client.post(reverse("role_proposal_confirm", args=[proposal.pk])).status_code == 403
    # Signing in again proposes nothing more.
    client.logout()
    log_in(client, "zhangsan", "Zhang#dir2026")
    assert DirectoryRoleProposal.objects.filter(user=secretary).count() == 1

    client.force_login(security_admin)
    home = client.get(reverse("home")).content.decode()
    assert 'id="pending-proposal-count">1<' in home  # the 安全管理员's home counts it
    page = client.get(reverse("role_proposals")).content.decode()
    assert "甲书记" in page and "考评员" in page and "kaoping-reviewers" in page
    page = client.post(reverse("role_proposal_confirm", args=[proposal.pk]), follow=True)
    assert "已确认并授予" in page.content.decode()
    assert Membership.objects.filter(
        user=secretary, organization=directory.e1, role=Role.REVIEWER
    ).exists()
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.CONFIRMED and proposal.decided_by == security_admin
    grant = AuditEntry.objects.filter(model="角色授权", action="create").latest("pk")
    assert grant.actor == security_admin
    # Decided once only.
    again = client.post(reverse("role_proposal_confirm", args=[proposal.pk]), follow=True)
    assert "该建议已确认，不能再处理" in again.content.decode()


def test_a_rejected_proposal_grants_nothing_and_is_not_proposed_again(client, directory):
    secretary = make_person(directory, "secretary_a")
    security_admin = make_person(directory, "security_admin")
    log_in(client, "zhangsan", "Zhang#dir2026")
    proposal = DirectoryRoleProposal.objects.get(user=secretary)
    client.force_login(security_admin)
    client.post(reverse("role_proposal_reject", args=[proposal.pk]))
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.REJECTED
    client.logout()
    log_in(client, "zhangsan", "Zhang#dir2026")
    assert DirectoryRoleProposal.objects.filter(user=secretary).count() == 1
    assert not Membership.objects.filter(user=secretary, role=Role.REVIEWER).exists()
