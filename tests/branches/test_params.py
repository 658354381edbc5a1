"""The bounded query parameters: a present but invalid value is a 400, never a 500."""

import pytest
from django.core.exceptions import BadRequest
from django.test import RequestFactory

from branches.toolkit.params import choice_param


def test_choice_param_keeps_a_listed_value_and_refuses_any_other():
    factory = RequestFactory()
    assert choice_param(factory.get("/", {"s": "done"}), "s", ["done", "pending"]) == "done"
    assert choice_param(factory.get("/", {"s": " "}), "s", ["done"], default="x") == "x"
    assert choice_param(factory.get("/"), "s", ["done"]) == ""
    with pytest.raises(BadRequest, match="参数“s”的取值无效，收到“" + "x" * 20 + "…”"):
        choice_param(factory.get("/", {"s": "x" * 500}), "s", ["done"])
