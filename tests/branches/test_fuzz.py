"""Hostile values in every form field and query parameter of every URL: never a 500.
Reuses the permission matrix's URLs and objects; bounded to a few
hundred requests."""

import re
import time

import pytest
from django.urls import reverse

from tests.branches.test_permissions import MATRIX

HOSTILE = [
    "1E+999999999",
    "1e309",
    "NaN",
    "-Infinity",
    "٣",
    "abc",
    "9" * 30,
    "x" * 100_000,
    "a\x00b",  # PostgreSQL refuses NUL in text
]
QUERY = [
    "page",
    "q",
    "org",
    "campaign",
    "enterprise",
    "status",
    "grade",
    "parent",
    "a",
    "b",
    "kind",
    "flag",
    "role",
    "show",
    "action",
    "format",
]
NAME = re.compile(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"')
SKIP_FIELDS = {"csrfmiddlewaretoken"}
# Logging out ends the session the fuzzing needs; the admin guards itself.
SKIP_URLS = {"logout", "admin:index"}


def echoed_at_length(content: bytes, value: str) -> bool:
    """The long value shown outside the form field that holds it (a message, a label)."""
    text = content.decode(errors="replace")
    text = text.replace(f'value="{value}"', "").replace(f">{value}</textarea>", ">")
    text = text.replace(f">\n{value}</textarea>", ">")  # Django's textarea starts on a new line
    return value[:1000] in text


def field_names(client, url) -> set[str]:
    response = client.get(url)
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return set()
    return set(NAME.findall(response.content.decode())) - SKIP_FIELDS


@pytest.mark.parametrize("role", ["superuser", "secretary_a"])
def test_no_hostile_value_gives_a_500(client, matrix, role):
    objects = matrix.objects
    client.raise_request_exception = False
    client.force_login(matrix.users[role])
    started, failures, count = time.monotonic(), [], 0
    rows = {(name, args, method) for name, args, method, _ in MATRIX if name not in SKIP_URLS}
    for name, args, method in sorted(rows, key=lambda r: (r[0], str(r[1]), r[2])):
        target = objects[args] if args else None
        query = ""
        if isinstance(target, tuple):
            target, query = target
        url = reverse(name, args=target)
        if method == "GET":
            for value in HOSTILE:
                response = client.get(url, {key: value for key in QUERY})
                count += 1
                if response.status_code >= 500:
                    failures.append((method, url, value[:20], response.status_code))
        else:
            names = field_names(client, url + query) or {"reason", "note", "name"}
            for value in HOSTILE:
                response = client.post(url + query, {key: value for key in names})
                count += 1
                if response.status_code >= 500:
                    failures.append((method, url, value[:20], response.status_code))
                elif value.startswith("x") and echoed_at_length(response.content, value):
                    failures.append((method, url, "echoed in a message", response.status_code))
            client.force_login(matrix.users[role])  # a POST may end the session
    elapsed = time.monotonic() - started
    print(f"fuzz {role}: {count} requests in {elapsed:.1f}s")
    assert not failures, failures


def test_huge_ids_in_paths_are_404s_not_500s(client, matrix):
    objects = matrix.objects
    client.raise_request_exception = False
    client.force_login(matrix.users["superuser"])
    failures = []
    rows = {(name, args, method) for name, args, method, _ in MATRIX if name not in SKIP_URLS}
    for name, args, method in sorted(rows, key=lambda r: (r[0], str(r[1]), r[2])):
        target = objects[args] if args else None
        if isinstance(target, tuple):
            target = target[0]
        if not target or not any(isinstance(a, int) for a in target):
            continue
        huge = [10**20 if isinstance(a, int) else a for a in target]
        url = reverse(name, args=huge)
        response = client.get(url) if method == "GET" else client.post(url, {})
        if response.status_code >= 500:
            failures.append((method, url, response.status_code))
    assert not failures, failures
