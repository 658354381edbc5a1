"""西北能化 2025 (001) 党员标准化责任认领: 炼钢一作业区党支部 publishes its
岗位责任清单, members claim posts (基础岗 for everyone), the 支委会 reviews the claims,
the 履职台账 records checks, and monthly scores give 履职优秀 / 合格 / 不达标 exactly at
85 / 84.5 / 60 / 59.5; the 公示栏 shows them and the ledger exports. Pages only."""

from datetime import date

from .pages import download, login, open_page, row_form, submit, xlsx_rows

TODAY = date.today()


def test_branch_publishes_posts_members_claim_and_monthly_scores_are_banded(client):
    login(client, "sj01")
    home = open_page(client, "/mechanisms/")
    posts = open_page(client, home.link("党员岗位责任清单"))
    assert "炼钢一作业区党支部" in posts and "未公布" in posts

    # Publishing needs a 基础岗 (every member must claim one).
    add = posts.form(action="/add/")
    submit(client, add, {"kind": "challenge", "title": "降本攻坚岗", "duty": "牵头降本增效"})
    refused = submit(client, posts.form(action="/publish/"))
    assert "至少要有 1 个基础岗" in refused
    submit(client, add, {"kind": "basic", "title": "自身履职岗", "duty": "按时参加组织生活"})
    submit(client, add, {"kind": "service", "title": "职工服务岗", "duty": "收集职工诉求"})
    published = submit(client, posts.form(action="/publish/"))
    assert "已公布 3 个岗位" in published and "已公布" in published
    assert "尚未认领基础岗（全体党员必领）的党员 27 人" in published

    # Claims (the 认领表), recorded by the secretary, reviewed by the 支委会.
    claim = published.form(action="/claim/")
    others = [label for value, label in claim.selects["member"] if value]
    assert len(others) == 27  # the roster: 26 full members and 1 probationary
    names = [
        "蒋红梅",
        "沈涛",
        "韩磊",
        next(n for n in others if n not in ("蒋红梅", "沈涛", "韩磊")),
    ]
    for name in names:
        page = submit(
            client,
            claim,
            {
                "member": published.option(claim, "member", name),
                "post": published.option(claim, "post", "自身履职岗"),
            },
        )
        assert f"已登记{name}认领“自身履职岗”，待支委会审核" in page
    page = submit(
        client,
        claim,
        {
            "member": published.option(claim, "member", "沈涛"),
            "post": published.option(claim, "post", "降本攻坚岗"),
        },
    )
    assert "尚未认领基础岗（全体党员必领）的党员 23 人" in page
    again = submit(
        client,
        claim,
        {
            "member": published.option(claim, "member", "沈涛"),
            "post": published.option(claim, "post", "降本攻坚岗"),
        },
    )
    assert "沈涛已认领“降本攻坚岗”" in again
    for name in names:
        page = open_page(client, page.url)
        review = row_form(page, name, "自身履职岗", "待支委会审核", action="/review/")
        assert "已审核公示" in submit(client, review, {"approved": "1"})
    page = open_page(client, page.url)
    rejected = submit(
        client,
        row_form(page, "沈涛", "降本攻坚岗", action="/review/"),
        {"approved": "0", "note": ""},
    )
    assert "不通过须写明原因" in rejected
    approved = submit(
        client, row_form(rejected, "沈涛", "降本攻坚岗", action="/review/"), {"approved": "1"}
    )
    assert "已审核公示" in approved.row("沈涛", "降本攻坚岗")

    # The 履职台账: a weekly check of a 基础岗, a monthly one of the 攻坚岗.
    weekly = submit(
        client,
        row_form(approved, "蒋红梅", "自身履职岗", action="/check/"),
        {"on": TODAY.isoformat(), "met": "1", "note": "按时参加党小组会"},
    )
    assert "已记入履职台账（每周抽查（基础岗））" in weekly
    monthly = submit(
        client,
        row_form(weekly, "沈涛", "降本攻坚岗", action="/check/"),
        {"on": TODAY.isoformat(), "met": "0", "note": "降本方案未按期提交"},
    )
    assert "已记入履职台账（每月核查（攻坚岗/服务岗））" in monthly

    # Monthly scores at the boundaries.
    board = open_page(client, monthly.link("履职公示栏"))
    form = board.form(action="/score/")
    scores = [("85", "履职优秀"), ("84.5", "履职合格"), ("60", "履职合格"), ("59.5", "履职不达标")]
    expected = dict(zip(names, scores, strict=True))
    for name, (score, band) in expected.items():
        page = submit(
            client,
            form,
            {
                "member": board.option(form, "member", name),
                "year": TODAY.year,
                "month": TODAY.month,
                "score": score,
            },
        )
        assert f"{name} {TODAY.year}年{TODAY.month}月履职得分 {score}：{band}" in page
    for name, (score, band) in expected.items():
        assert f"{score} {band}" in page.row(name)
    out_of_range = submit(
        client,
        form,
        {
            "member": board.option(form, "member", "蒋红梅"),
            "year": TODAY.year,
            "month": TODAY.month,
            "score": "100.5",
        },
    )
    assert "100" in out_of_range and "履职得分 100.5" not in out_of_range

    # The 党员履职台账 export: the month's scores and the checks.
    content = download(client, page.link("导出党员履职台账"))
    rows = xlsx_rows(content)
    assert rows[0] == ("姓名", "党小组", "党员类别", "履职得分", "评定", "说明")
    by_name = {r[0]: r for r in rows[1:]}
    for name, (score, band) in expected.items():
        assert (by_name[name][3], by_name[name][4]) == (float(score), band)
    assert by_name[names[0]][4] == "履职优秀" and by_name[names[3]][4] == "履职不达标"
    import io

    import openpyxl

    checks = list(
        openpyxl.load_workbook(io.BytesIO(content))["履职核查记录"].iter_rows(values_only=True)
    )
    assert any(r[1] == "沈涛" and r[4] == "不到位" and r[5] == "降本方案未按期提交" for r in checks)

    # The posts list exports; another branch's secretary cannot see it.
    rows = xlsx_rows(download(client, open_page(client, posts.url).link("导出 Excel")))
    assert any(r[1] == "自身履职岗" and "蒋红梅（已审核公示）" in r[4] for r in rows)
    login(client, "sj02")
    assert client.get(posts.url).status_code == 404
