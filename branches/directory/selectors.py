"""Reads of the directory sign-ins: which ways in are on, why a sign-in was refused, the
role proposals a 安全管理员 decides."""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse

from ..models import DirectoryRoleProposal, ProposalStatus, User

OIDC_BACKEND = "branches.directory.backends.OIDCBackend"
CAS_BACKEND = "branches.directory.backends.CASBackend"
# The backends through which the directory, not this system, checks the password.
DIRECTORY_BACKENDS = frozenset(
    {"branches.directory.backends.DirectoryBackend", OIDC_BACKEND, CAS_BACKEND}
)


@dataclass(frozen=True)
class SignInButton:
    label: str
    url: str


def sign_in_buttons() -> list[SignInButton]:
    """A button on the login page for each single sign-on that is configured."""
    buttons = []
    if settings.OIDC_ENABLED:
        buttons.append(SignInButton(settings.OIDC_LABEL, reverse("oidc_login")))
    if settings.CAS_ENABLED:
        buttons.append(SignInButton(settings.CAS_LABEL, reverse("cas_login")))
    return buttons


def signed_in_with_directory(request: HttpRequest) -> bool:
    """The session's password was checked by the directory: this system's password rules
    (change at first login, expiry) do not apply to it."""
    session = getattr(request, "session", None)
    return session is not None and session.get(BACKEND_SESSION_KEY) in DIRECTORY_BACKENDS


def refusal(request: HttpRequest | None) -> tuple[str, str] | None:
    """(工号, reason) when the directory vouched for the person but they were refused."""
    return getattr(request, "directory_refusal", None)


def role_proposals(user: User, *, pending: bool) -> QuerySet[DirectoryRoleProposal]:
    """Proposals over organizations where the user grants roles (pending, or decided)."""
    from ..access import Perm, scope_q

    qs = DirectoryRoleProposal.objects.filter(
        scope_q(user, Perm.GRANT_ROLES, "organization__path")
    ).select_related("user", "organization", "decided_by")
    if pending:
        return qs.filter(status=ProposalStatus.PENDING)
    return qs.exclude(status=ProposalStatus.PENDING).order_by("-decided_at", "-pk")


def pending_count(user: User) -> int:
    return role_proposals(user, pending=True).count()


def lockout_username(request: HttpRequest | None, credentials: dict | None) -> str | None:
    """The username django-axes counts a failure under: what the person typed, or, for a
    single sign-on that the app refused, the 工号 the provider vouched for."""
    if credentials and credentials.get("username"):
        return str(credentials["username"])
    if found := refusal(request):
        return found[0] or None
    if credentials is None and request is not None:
        return request.POST.get("username") or None
    return None


def lockout_exempt(request: HttpRequest | None, credentials: dict | None) -> bool:
    """An attempt that names nobody (a single sign-on's return before the provider named
    the person, or with a forged or expired ticket) is never counted or locked: the
    provider checks passwords, and such failures must not lock out a whole office behind
    one address."""
    return lockout_username(request, credentials) is None


def sign_out_url(request: HttpRequest) -> str | None:
    """Where a person who signed in through a single sign-on goes when signing out here:
    the provider's own sign-out (its session ends too, so the next person at the same
    browser is asked for a password again), coming back to the login page. None for a
    password sign-in, and for OpenID Connect while its end-session endpoint is not set
    (OIDC_OP_LOGOUT_ENDPOINT). Read before the session is flushed."""
    backend = request.session.get(BACKEND_SESSION_KEY, "")
    back = request.build_absolute_uri(reverse("login"))
    if backend == OIDC_BACKEND and settings.OIDC_ENABLED and settings.OIDC_OP_LOGOUT_ENDPOINT:
        query = {"client_id": settings.OIDC_RP_CLIENT_ID, "post_logout_redirect_uri": back}
        if id_token := request.session.get("oidc_id_token"):
            query["id_token_hint"] = id_token
        endpoint = settings.OIDC_OP_LOGOUT_ENDPOINT
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(query)}"
    if backend == CAS_BACKEND and settings.CAS_ENABLED:
        from django_cas_ng.utils import get_cas_client

        return get_cas_client(request=request).get_logout_url(redirect_url=back)
    return None
