"""/healthz for load balancers and monitoring: unauthenticated JSON, 200 or 503."""

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .. import health


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    ok, body = health.report()
    return JsonResponse(body, status=200 if ok else 503, json_dumps_params={"ensure_ascii": False})
