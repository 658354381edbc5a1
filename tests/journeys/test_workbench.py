"""Each person's home page lists their open work whatever gives it: a role, a pairing, an
inspection; with due dates, the most urgent first. Pages only, from the demo."""

import re
from datetime import date

from .pages import login


def _work(home) -> list[tuple[str, str, str]]:
    """(事项, 对象, 截止) of each row of the workbench, in order."""
    table = re.search(r'<table[^>]*id="workbench".*?</table>', home.html, re.S).group(0)
    rows = []
    for row in re.findall(r"<tr\b[^>]*>(.*?)</tr>", table, re.S)[1:]:
        cells = [
            re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", c)).strip()
            for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        rows.append(tuple(cells))
    return rows


def _dues(rows) -> list[date]:
    found = [re.match(r"\d{4}-\d{2}-\d{2}", due) for _, _, due in rows]
    return [date.fromisoformat(m.group(0)) for m in found if m]


def test_pairing_helper_sees_the_visits_still_due(client):
    home = login(client, "bf01")
    assert "没有被授予任何角色" not in home
    kinds = [kind for kind, *_ in _work(home)]
    assert "结对帮扶" in kinds, home.text[:600]
    pairing = home.row("结对帮扶", "热电厂党支部")
    assert "本月下沉帮扶" in pairing and "不足" in pairing
    assert home.link("热电厂党支部").startswith("/mechanisms/pairings/")


def test_inspector_sees_the_inspection_to_do(client):
    home = login(client, "hc01")
    assert "没有被授予任何角色" not in home
    row = home.row("互查", "热电厂党支部")
    assert "待检查" in row and re.search(r"\d{4}-\d{2}-\d{2}", row)
    assert re.match(r"^/mechanisms/inspections/\d+/$", home.link("热电厂党支部"))


def test_someone_without_work_is_told_to_ask_for_a_role(client):
    home = login(client, "bf03")  # not paired yet, no role
    assert "没有被授予任何角色" in home
    assert 'id="workbench"' not in home.html


def test_secretary_work_is_sorted_by_due_date(client):
    home = login(client, "sj01")
    rows = _work(home)
    assert rows and any(kind == "待填写考评表" for kind, *_ in rows)
    dues = _dues(rows)
    assert dues == sorted(dues)
    # Undated work (if any) comes after every dated row.
    dated = [bool(re.match(r"\d{4}", due)) for *_, due in rows]
    assert dated == sorted(dated, reverse=True)
