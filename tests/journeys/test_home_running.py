"""Leaders and the department see the running campaign on their home page, and
the last finished campaign's results below it."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from .pages import fill_sheet, login, my_sheets


def _home_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    return len(queries)


def test_leader_home_shows_running_campaign_then_last_results(client):
    home = login(client, "ld01")
    assert "2026年度党支部标准化建设考评（演示） · 进行中" in home
    assert "当前阶段：" in home and "剩余" in home
    before = home.row("华西特钢公司党委")
    finished = "2025年度党支部规范化建设考核（演示，已完成） · 考评结果"
    assert home.html.index("进行中") < home.html.index(finished)
    queries = _home_queries(client)

    login(client, "sj01")
    (url, _), *_ = my_sheets(client, "自查")
    fill_sheet(client, url)

    login(client, "ld01")
    assert _home_queries(client) == queries  # counted in SQL, whatever the sheets
    for who in ("ld01", "dq01"):
        home = login(client, who)
        row = home.row("华西特钢公司党委")
        total, submitted, signed, late = (int(n) for n in row.split()[-4:])
        assert submitted == int(before.split()[-3]) + 1, (before, row)
        assert signed == 0 and late == 0 and total >= submitted
        assert "逾期未交" in home and "合计" in home

    # A secretary or reviewer sees no such panel.
    assert "· 进行中" not in login(client, "kp01")
