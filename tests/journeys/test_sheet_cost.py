"""The Fuling score sheet near its floor. A secretary's autosave of the whole
sheet (61 inputs) costs at most 15 SQL statements and one changed field at most 8 (was
385 and 25); the page itself a fixed handful of queries (was 18). The audit trail still
records every score change, one row per save. Counted on SQLite and on PostgreSQL
(``DATABASE_URL``), session and user lookups included."""

import re
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from .pages import Page, login, my_sheets, open_page


def _statements(client, url: str, data: dict, **headers) -> tuple[Page, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.post(url, data, **headers)
    assert response.status_code == 200, response.content.decode()[:500]
    return Page(response), [q["sql"] for q in queries.captured_queries]


def _revision(panel: Page) -> str:
    return re.search(r'id="revision" value="(\d+)"', panel.html).group(1)


def test_fuling_autosave_and_page_cost(client):
    login(client, "sj01")
    [(url, name)] = my_sheets(client, "自查")
    page = open_page(client, url)
    assert "涪陵" in page.text and name == "炼钢一作业区党支部"
    form = page.form(action="/submit/")
    autosave = form.attrs["hx-post"]
    scores = [n for n in form.fields if n.startswith("v_")]
    assert len(scores) == 61  # 55 items, three of them scored by their parts

    # The whole sheet at once (as the page's 以我的输入为准保存 posts it): full points.
    data = {"revision": form.fields["revision"]}
    for name in scores:
        data[name] = form.placeholders[name].split("–")[1]
        data["n" + name[1:]] = "已核对"
    panel, sql = _statements(client, autosave, data, HTTP_HX_REQUEST="true")
    assert len(sql) <= 15, "\n".join(sql)
    assert not [s for s in sql if s.startswith('SELECT "rubrics_')]  # rules from memory
    assert len([s for s in sql if s.startswith('INSERT INTO "assessments_sheetentry"')]) == 1
    total = Decimal(re.search(r'id="running-total">([\d.]+)<', panel.html).group(1))
    assert total == 100 and "已自动保存" in panel.text

    # One field, as the page sends it when one box changed: its score and its note.
    one = {"revision": _revision(panel), "v_1.1": "0", "n_1.1": "党员名册未更新"}
    panel, sql = _statements(client, autosave, one, HTTP_HX_REQUEST="true")
    # One of these reads the user's roles for the second-factor check (every request).
    assert len(sql) <= 9, "\n".join(sql)
    short = Decimal(re.search(r'id="running-total">([\d.]+)<', panel.html).group(1))
    assert short < total and "已自动保存" in panel.text

    # Nothing else was touched by the one-field save; the page shows both saves.
    with CaptureQueriesContext(connection) as queries:
        page = open_page(client, url)
    assert len(queries.captured_queries) <= 8, "\n".join(q["sql"] for q in queries.captured_queries)
    form = page.form(action="/submit/")
    assert form.fields["v_1.1"] == "0" and form.fields["n_1.1"] == "党员名册未更新"
    assert form.fields["n_1.2"] == "已核对" and form.fields["v_1.2"] != ""

    # Both saves are in the audit trail, old → new, on the named sheet.
    login(client, "sh01")
    trail = open_page(client, "/audit/?q=炼钢一作业区党支部")
    assert "1.1 得分" in trail.text and "党员名册未更新" in trail.text
    assert "1.2 扣分说明" in trail.text


def test_partial_autosave_leaves_other_lines_alone(client):
    """A post that names some lines leaves the others as they are (the overall note too)."""
    login(client, "sj01")
    [(url, _)] = my_sheets(client, "自查")
    form = open_page(client, url).form(action="/submit/")
    autosave = form.attrs["hx-post"]
    first = {"revision": form.fields["revision"], "v_1.1": "1", "n_1.1": "甲", "note": "总体"}
    panel, _ = _statements(client, autosave, first, HTTP_HX_REQUEST="true")
    second = {"revision": _revision(panel), "v_1.2": "1", "n_1.2": "乙"}
    panel, _ = _statements(client, autosave, second, HTTP_HX_REQUEST="true")
    # Emptying a line removes it in one statement, within the same bound.
    emptied = {"revision": _revision(panel), "v_1.3": "1"}
    panel, _ = _statements(client, autosave, emptied, HTTP_HX_REQUEST="true")
    emptied = {"revision": _revision(panel), "v_1.3": "", "n_1.3": ""}
    _, sql = _statements(client, autosave, emptied, HTTP_HX_REQUEST="true")
    assert len(sql) <= 9 and len([s for s in sql if s.startswith("DELETE")]) == 1, sql
    form = open_page(client, url).form(action="/submit/")
    assert (form.fields["v_1.1"], form.fields["n_1.1"]) == ("1", "甲")
    assert (form.fields["v_1.2"], form.fields["n_1.2"]) == ("1", "乙")
    assert form.fields["v_1.3"] == ""
    page = open_page(client, url)
    assert "总体" in page.html[page.html.index('id="sheet-note"') :][:300]
    # A stale revision is still a conflict that names the line, nothing overwritten.
    stale = {"revision": str(int(form.fields["revision"]) - 1), "v_1.1": "0"}
    response = client.post(autosave, stale, HTTP_HX_REQUEST="true")
    assert response.status_code == 409 and 'data-code="1.1"' in response.content.decode()
    assert open_page(client, url).form(action="/submit/").fields["v_1.1"] == "1"


def test_score_page_reads_the_sheet_in_one_statement(client):
    """sj01's self-assessment page: the session, the user, the person's roles and the sheet
    with everything it holds (entries, and whether it has earlier sheets, 流转记录,
    evidence or meeting records this year) — four statements, the organizations of her
    roles by their keys a fifth (``branches.access.memberships``: not joined, which
    PostgreSQL planned as a walk of every organization) and the header's count of unread
    notices a sixth; the sheet's entries never read on their own, no meeting read when the
    branch held none this year."""
    login(client, "sj01")
    [(url, _)] = my_sheets(client, "自查")
    open_page(client, url)
    with CaptureQueriesContext(connection) as queries:
        page = open_page(client, url)
    sql = [q["sql"] for q in queries.captured_queries]
    assert len(sql) <= 6, "\n".join(sql)
    assert not [s for s in sql if s.startswith('SELECT "assessments_sheetentry"')]
    assert not [s for s in sql if s.startswith('SELECT "assessments_meeting"')]
    assert len(page.form(action="/submit/").fields) > 100  # the 61 lines are all there
