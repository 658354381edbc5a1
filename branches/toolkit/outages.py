"""handler500 that tells a database outage apart from a fault of the application.

When the database cannot be reached (the server is down or restarting, the connection was
dropped, SQLite cannot open its file or stays locked), every page fails with
OperationalError or InterfaceError wherever it first touches the database — a middleware
loading the session as well as a view. Django turns each into a 500; this handler sees the
exception being handled and answers 503 "服务暂时不可用" with Retry-After instead of
"系统错误", since the request may well succeed a moment later. The page is rendered
without a request context, so no context processor reaches for the database again."""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.views import defaults

RETRY_AFTER_SECONDS = 30


def database_unavailable(exc: BaseException | None) -> bool:
    return isinstance(exc, OperationalError | InterfaceError)


def unavailable_response() -> HttpResponse:
    response = HttpResponse(loader.get_template("503.html").render({}), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    if database_unavailable(sys.exc_info()[1]):
        return unavailable_response()
    return defaults.server_error(request)
