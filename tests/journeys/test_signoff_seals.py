"""A signed sheet's seal is keyed: someone who can write the database changes a score and
stores the recomputed plain SHA-256 of the sheet (the algorithm is in the source code), and
the sheet page still shows the red warning, its PDF is refused and consolidation refuses it;
a seal key replaced without sealing again also turns every signed sheet red.

The attack is plain SQL, after the pages signed the sheet: the one write here not made
through a page. Run on SQLite and on PostgreSQL (``DATABASE_URL``)."""

import hashlib
import io
import json

import openpyxl
from django.db import connection

from assessments.models import ScoreSheet, SheetEntry, VetoFinding

from .pages import download, fill_sheet, login, my_sheets, open_page, sign_submitted, submit
from .test_committee_measures import MEASURES
from .test_committee_measures import _campaign as committee_campaign
from .test_committee_measures import _cross_sheets as cross_sheets

DEMO = "2026年度党支部标准化建设考评（演示）"
WARNING = "的内容与签发时记录的摘要不一致，可能在签发后被改动"


def plain_sha256(pk: int) -> str:
    """What an attacker computes from the rows: the SHA-256 of the sheet's canonical JSON,
    as the published code builds it, with no key."""
    head = ScoreSheet.objects.values(
        "organization__code", "stage_id", "rubric_version_id", "assessor__username"
    ).get(pk=pk)
    total, grade, note = ScoreSheet.objects.values_list("total", "grade", "note").get(pk=pk)
    entries = [
        [code, str(value), text]
        for code, value, text in SheetEntry.objects.filter(sheet_id=pk).values_list(
            "code", "value", "note"
        )
    ]
    vetoes = [list(v) for v in VetoFinding.objects.filter(sheet_id=pk).values_list("code", "facts")]
    payload = {
        "sheet": pk,
        "organization": head["organization__code"],
        "stage": head["stage_id"],
        "rubric_version": head["rubric_version_id"],
        "assessor": head["assessor__username"],
        "entries": sorted(entries),
        "vetoes": sorted(vetoes),
        "total": str(total),
        "grade": grade,
        "note": note,
    }
    content = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
    return hashlib.sha256(content).hexdigest()


def sql(statement: str, params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def signed_supervision(client) -> tuple[str, int, str]:
    """kp01 scores 炼钢一作业区党支部 at 督导检查; dq01 signs it. (sheet URL, pk, the
    campaign's URL)."""
    login(client, "kp01")
    url = {name: u for u, name in my_sheets(client, "督导检查")}["炼钢一作业区党支部"]
    fill_sheet(client, url, short={"3.1": "3"})
    login(client, "dq01")
    campaign = open_page(client, "/campaigns/").link(DEMO)
    assert sign_submitted(client, open_page(client, campaign).link("进度")) == 1
    page = open_page(client, url)
    assert "审核签发，校验码" in page.text
    assert WARNING not in page and "data-tampered" not in page.html
    return url, int(url.strip("/").split("/")[-1]), campaign


def test_a_score_changed_by_sql_with_the_plain_digest_recomputed_shows_red(client):
    url, pk, campaign = signed_supervision(client)

    # The attack: a score lowered, and the digest column set to the recomputed SHA-256.
    entry, sheet = SheetEntry._meta.db_table, ScoreSheet._meta.db_table
    sql(f"UPDATE {entry} SET value = 0 WHERE sheet_id = %s AND code = %s", [pk, "1.1"])
    sql(f"UPDATE {sheet} SET digest = %s WHERE id = %s", [plain_sha256(pk), pk])

    page = open_page(client, url)
    assert 'class="alert alert-danger fw-bold" role="alert" data-tampered' in page.html
    assert f"（编号 {pk}）{WARNING}" in page
    # The PDF and the offline workbook are refused with the same warning.
    for suffix in ("report.pdf", "sheet.xlsx"):
        refused = open_page(client, url + suffix)
        assert refused.url == url and WARNING in refused
    # Consolidation (the database computes the content hash there) refuses it too.
    results = open_page(client, open_page(client, campaign).link("结果与台账"))
    refused = submit(client, results.form(button="汇总考评结果"))
    assert "以下已签发考评表的内容与签发摘要不一致" in refused and f"（编号 {pk}）" in refused


def test_the_results_page_names_a_source_sheet_changed_after_consolidation(client):
    _, pk, campaign = signed_supervision(client)
    results = open_page(client, open_page(client, campaign).link("结果与台账"))
    ledger = submit(client, results.form(button="汇总考评结果"))
    assert "已汇总" in ledger and "data-tampered" not in ledger.html

    entry, sheet = SheetEntry._meta.db_table, ScoreSheet._meta.db_table
    sql(f"UPDATE {entry} SET value = 0 WHERE sheet_id = %s AND code = %s", [pk, "1.1"])
    sql(f"UPDATE {sheet} SET digest = %s WHERE id = %s", [plain_sha256(pk), pk])

    again = open_page(client, ledger.url)
    assert 'role="alert" data-tampered' in again.html
    assert f"“炼钢一作业区党支部 · 督导检查”（编号 {pk}）{WARNING}" in again


def test_a_replaced_seal_key_turns_every_signed_sheet_red(client, settings):
    url, pk, _ = signed_supervision(client)
    # The key lost or replaced (a new var/seal_key, another DJANGO_SEAL_KEY) and nothing
    # sealed again: no seal can be checked any more, and the page says so.
    settings.SEAL_KEY = "another-key-" + "x" * 40
    page = open_page(client, url)
    assert f"（编号 {pk}）{WARNING}" in page


def test_a_tampered_7_measures_checklist_is_left_out_of_the_results_and_named(client):
    """The 7-measures checklists are read from their signed sheets on the results page, in
    the results ledger and in the 总体评估报告: one failing its seal is left out, in red."""
    campaign, progress = committee_campaign(client)
    checklists = []
    for reviewer in ("kp02", "kp03", "kp04"):
        checklists += [(reviewer, *s) for s in cross_sheets(client, reviewer)[MEASURES]]
    for reviewer, url, _ in checklists:
        login(client, reviewer)
        fill_sheet(client, url)
    login(client, "dq01")
    assert sign_submitted(client, progress) == 3
    url = next(u for _, u, name in checklists if name == "华西特钢公司党委")
    pk = int(url.strip("/").split("/")[-1])

    entry, sheet = SheetEntry._meta.db_table, ScoreSheet._meta.db_table
    sql(f"UPDATE {entry} SET value = 0 WHERE sheet_id = %s AND code = %s", [pk, "5"])
    sql(f"UPDATE {sheet} SET digest = %s WHERE id = %s", [plain_sha256(pk), pk])

    results = open_page(client, open_page(client, campaign).link("结果与台账"))
    section = results.text.split("党委落实“7条具体措施”评估")[1].split("全部企业")[0]
    assert f"（编号 {pk}）{WARNING}" in section and "（未计入）" in section
    assert 'role="alert" data-tampered' in results.html
    listed = section.split("（未计入）")[1]
    assert "华西特钢公司党委" not in listed and "华西能化公司党委" in listed
    book = openpyxl.load_workbook(io.BytesIO(download(client, results.link("导出台账"))))
    rows = list(book["党委7条具体措施"].iter_rows(values_only=True))
    assert sorted(r[rows[0].index("党委")] for r in rows[1:]) == [
        "华西物流公司党委",
        "华西能化公司党委",
    ]
