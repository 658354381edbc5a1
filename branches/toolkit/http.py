"""The request type of views that require a login.

`request.user` is `User | AnonymousUser` on a plain HttpRequest. A view behind
`login_required` (or reached only through one) annotates its request as
AuthenticatedHttpRequest, so the type checker knows the user is a real account; nothing
changes at run time."""

from django.http import HttpRequest

from ..models import User


class AuthenticatedHttpRequest(HttpRequest):
    user: User
