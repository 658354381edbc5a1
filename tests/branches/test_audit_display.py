"""The audit trail page reads as Chinese: no True, None, raw lists or dicts, UTC ISO times."""

import re
from datetime import UTC, datetime

from django.urls import reverse

from branches.models import AuditEntry
from branches.toolkit import audit
from branches.toolkit.audit_display import format_value
from rubrics.models import Rubric


def page_text(client) -> str:
    html = client.get(reverse("audit_list")).content.decode()
    table = html[html.index('id="audit-table"') : html.index("</table>")]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", table))


def test_audit_page_shows_readable_values(tree, sysadmin, auditor, client):
    with audit.acting(sysadmin, "import"):
        Rubric.objects.create(
            code="x",
            name="某标准",
            issuer="党群部",
            source_document="某文件",
            assesses=["general_branch", "branch"],
        )
    AuditEntry.objects.create(
        actor=sysadmin,
        actor_repr=str(sysadmin),
        source="import",
        action="import",
        model="导入任务",
        object_id="1",
        object_repr="组织架构导入",
        changes={
            "counts": {
                "label": "结果",
                "old": None,
                "new": {"new": 1, "update": 2, "skip": 0, "error": 0},
            }
        },
    )
    AuditEntry.objects.create(
        actor=sysadmin,
        actor_repr=str(sysadmin),
        source="web",
        action="update",
        model="考评标准版本",
        object_id="2",
        object_repr="某标准 第1版",
        changes={
            "published_at": {
                "label": "发布时间",
                "old": None,
                "new": "2026-11-21T11:50:00+00:00",
            },
            "key_items_cap_top": {"label": "▲封顶", "old": False, "new": True},
        },
    )
    client.force_login(auditor)  # 三员分立: only the 审计员 reads the trail
    text = page_text(client)
    for raw in ("True", "False", "None", "['", "{'", "general_branch", "+00:00"):
        assert raw not in text, raw
    assert "党总支、党支部" in text
    assert "新增：1；更新：2；跳过：0；错误：0" in text
    assert "（空） → 2026-11-21 19:50" in text  # Asia/Shanghai, not UTC
    assert "否 → 是" in text
    assert "导入" in text and "import" not in text


def test_format_value_reads_every_kind_of_stored_value(db):
    assert format_value(None) == "（空）"
    assert format_value(True) == "是" and format_value(False) == "否"
    assert format_value("97.500", field="total", model="考评表") == "97.5"
    assert format_value(["branch"], field="assesses") == "党支部"
    assert format_value(["general_branch", "branch"], field="kinds", model="考评活动") == (
        "党总支、党支部"
    )
    assert format_value("committee", field="kind", model="党组织") == "党委"
    assert format_value({"full_members": 7}, model="党组织") == "正式党员数：7"
    assert format_value("2026-01-01T00:00:00+00:00") == "2026-01-01 08:00"
    assert format_value(datetime(2026, 1, 1, tzinfo=UTC).isoformat()) == "2026-01-01 08:00"
