"""Query and form parameters parsed with bounds, and the 400 page they lead to.

One rule everywhere: a parameter that is present but not a valid value is a 400 with a
Chinese message (the value echoed cut short), never a 500 and never silently a different
page. An absent or empty parameter is the default."""

from typing import overload

from django import forms
from django.core.exceptions import BadRequest, ValidationError
from django.http import HttpRequest, HttpResponseBadRequest, JsonResponse, QueryDict
from django.template import loader

# Rows of a long list on one page (branches, results, consequences, items): a screen or
# two to read, and a page as light at 50,000 branches as at 50.
LIST_PAGE_SIZE = 50

# Primary keys: positive, and within a 32-bit integer so no database overflows on them.
MAX_ID = 2**31 - 1
MAX_TEXT = 100


def shown(raw, limit: int = 20) -> str:
    text = str(raw)
    return text if len(text) <= limit else text[:limit] + "…"


@overload
def int_param(
    request: HttpRequest,
    name: str,
    default: int,
    *,
    minimum: int = 1,
    maximum: int = MAX_ID,
    data: QueryDict | None = None,
) -> int: ...


@overload
def int_param(
    request: HttpRequest,
    name: str,
    default: None = None,
    *,
    minimum: int = 1,
    maximum: int = MAX_ID,
    data: QueryDict | None = None,
) -> int | None: ...


def int_param(
    request: HttpRequest,
    name: str,
    default: int | None = None,
    *,
    minimum: int = 1,
    maximum: int = MAX_ID,
    data: QueryDict | None = None,
) -> int | None:
    """An integer parameter of ``request.GET`` (or ``data``) within [minimum, maximum]."""
    raw = (request.GET if data is None else data).get(name, "")
    raw = raw.strip()
    if raw == "":
        return default
    digits = raw[1:] if raw.startswith("-") else raw
    if len(raw) > 12 or not digits.isascii() or not digits.isdigit():
        raise BadRequest(f"参数“{name}”应为整数，收到“{shown(raw)}”。")
    value = int(raw)
    if not minimum <= value <= maximum:
        raise BadRequest(f"参数“{name}”超出范围（{minimum} 至 {maximum}），收到“{shown(raw)}”。")
    return value


def id_list_param(request: HttpRequest, name: str, *, limit: int, data: QueryDict) -> list[int]:
    """Every value of a repeated id parameter (checked rows), each a valid primary key, at
    most ``limit`` of them; anything else is a 400."""
    raw = data.getlist(name)
    if len(raw) > limit:
        raise BadRequest(f"参数“{name}”最多 {limit} 个，收到 {len(raw)} 个。")
    ids = []
    for value in raw:
        value = value.strip()
        if not (value.isascii() and value.isdigit() and len(value) <= 10):
            raise BadRequest(f"参数“{name}”应为编号，收到“{shown(value)}”。")
        if not 1 <= int(value) <= MAX_ID:
            raise BadRequest(f"参数“{name}”超出范围，收到“{shown(value)}”。")
        ids.append(int(value))
    return ids


def text_param(request: HttpRequest, name: str, default: str = "", *, max_length: int = MAX_TEXT):
    """A free-text parameter (a search), stripped and cut to ``max_length`` characters."""
    return request.GET.get(name, default).strip()[:max_length]


def choice_param(request: HttpRequest, name: str, choices, default: str = "") -> str:
    """A parameter that must be one of ``choices`` (a filter's select): anything else is a
    400, as for ``int_param``."""
    raw = request.GET.get(name, "").strip()
    if raw == "":
        return default
    if raw not in choices:
        raise BadRequest(f"参数“{name}”的取值无效，收到“{shown(raw)}”。")
    return raw


def bad_request(request: HttpRequest, exception: Exception | None = None):
    """handler400: the reason in Chinese, cut short; never the raw value at length. The
    API (under /api/) answers in its own language: JSON with the reason as ``detail``."""
    message = str(exception) if isinstance(exception, BadRequest) and str(exception) else ""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": shown(message, 200) or "请求有误。"},
            status=400,
            json_dumps_params={"ensure_ascii": False},
        )
    template = loader.get_template("400.html")
    return HttpResponseBadRequest(template.render({"message": shown(message, 200)}, request))


class BoundedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """A ModelMultipleChoiceField whose submitted ids are checked for shape and range before
    any query: Django filters ``pk__in`` with them, and SQLite raises OverflowError (a 500)
    on an id past 64 bits."""

    def _check_values(self, value):
        for pk in value if isinstance(value, list | tuple | set | frozenset) else [value]:
            text = str(pk)
            if len(text) > 12 or not text.isascii() or not text.isdigit() or int(text) > MAX_ID:
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": shown(text)},
                )
        return super()._check_values(value)
