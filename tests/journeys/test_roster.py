"""A branch keeps its member roster (党员名册): the secretary of 一号煤矿党支部
adds, edits, removes and imports members; the branch's counts follow the roster; the
roster exports to Excel; other branches' secretaries never see it, leaders only read."""

from tests.conftest import xlsx_bytes

from .pages import download, login, open_page, row_form, row_link, submit, upload, xlsx_rows


def roster_page(client, branch: str = "一号煤矿党支部"):
    tree = open_page(client, "/orgs/")
    detail = open_page(client, tree.link(branch))
    return detail, open_page(client, detail.link("党员名册"))


def test_secretary_keeps_the_roster_and_counts_follow_it(client):
    login(client, "sj02")
    detail, roster = roster_page(client)
    assert "党员名册（60）" in detail
    assert "正式党员 56 人，预备党员 4 人（按党员名册统计）" in detail
    assert "第 1 / 2 页，共 60 条" in roster  # 50 a page
    assert "邹平" in roster  # the secretary is on it
    found = open_page(client, roster.url + "?q=邹平")
    assert "共 1 条" in found and "采煤党小组" in found.row("邹平")
    probationary = open_page(client, roster.url + "?status=probationary")
    assert "共 4 条" in probationary

    # Add a probationary member: the branch now counts 5.
    form_page = open_page(client, roster.link("新增党员"))
    added = submit(
        client,
        form_page.form(button="保存"),
        {
            "name": "新同志",
            "status": form_page.option(form_page.form(button="保存"), "status", "预备党员"),
            "party_group": "掘进党小组",
            "joined_on": "2025-07-01",
        },
    )
    assert "已将“新同志”加入党员名册" in added
    assert "预备党员" in added.row("新同志") and "掘进党小组" in added.row("新同志")
    assert "预备党员 5 人" in open_page(client, detail.url)

    # The same name twice is refused, in Chinese.
    again = submit(
        client,
        form_page.form(button="保存"),
        {"name": "新同志", "status": "full"},
    )
    assert "本支部已有在册党员“新同志”" in again

    # A member who moves away: given a 离开日期, no longer counted, still listed on request.
    edit = open_page(client, row_link(open_page(client, roster.url + "?q=邹平"), "邹平"))
    moved = submit(client, edit.form(button="保存"), {"left_on": "2026-01-15"})
    assert "已保存“邹平”" in moved
    assert "没有符合条件的党员" in open_page(client, roster.url + "?q=邹平")
    assert "正式党员 55 人" in open_page(client, detail.url)
    assert "2026-01-15 离开" in open_page(client, roster.url + "?q=邹平&left=1").row("邹平")

    # Delete the one added by mistake (the form asks for confirmation first).
    listing = open_page(client, roster.url + "?q=新同志")
    delete = row_form(listing, "新同志", action="/delete/")
    assert "确定从党员名册删除“新同志”吗" in listing.html
    deleted = submit(client, delete)
    assert "已从党员名册删除“新同志”" in deleted
    assert "预备党员 4 人" in open_page(client, detail.url)

    # Export: every member, those who left included, with the columns the import reads.
    rows = xlsx_rows(download(client, roster.link("导出 Excel")))
    assert rows[0][:6] == ("姓名", "党员类别", "党小组", "入党日期", "手机", "工号")
    assert len(rows) == 1 + 60
    assert [r[1] for r in rows[1:]].count("预备党员") == 4
    left = next(r for r in rows if r[0] == "邹平")
    assert str(left[6])[:10] == "2026-01-15"


def test_roster_import_previews_row_errors_then_stores_all(client):
    login(client, "sj02")
    detail, roster = roster_page(client)
    importing = open_page(client, roster.link("导入 Excel"))
    template = xlsx_rows(download(client, importing.link("导入模板")))
    assert template[0][:2] == ("姓名", "党员类别")
    headers = ["姓名", "党员类别", "党小组", "入党日期", "手机", "工号"]
    bad = xlsx_bytes(
        headers,
        [
            ["邹平", "正式党员", "综采党小组", "1998-07-01", "", ""],
            ["赵新", "积极分子", "", "", "", ""],
            ["钱新", "预备党员", "", "2025-13-01", "", ""],
            ["孙新", "正式党员", "", "", "", "nobody"],
            ["赵新", "正式党员", "", "", "", ""],
        ],
    )
    preview = upload(client, importing.form(button="上传并预览"), bad, "名册.xlsx")
    assert "党员名册导入" in preview and "错误 4" in preview
    # Each error on its Excel row (the header is row 1).
    assert preview.row("未知的党员类别“积极分子”").split()[:2] == ["3", "错误"]
    assert preview.row("入党日期”日期格式不正确").split()[:2] == ["4", "错误"]
    assert preview.row("工号“nobody”不存在").split()[:2] == ["5", "错误"]
    assert preview.row("姓名“赵新”与第 3 行重复").split()[:2] == ["6", "错误"]
    assert "确认导入" not in preview

    rows = [
        ["邹平", "正式党员", "综采党小组", "1998-07-01", "", "sj02"],
        ["赵新", "预备党员", "采煤党小组", "2025-09-01", "13900000000", ""],
    ]
    # Linking a member to a login is the department's or the account administrator's
    # act, not the branch's: the secretary's 工号 for 邹平 is refused on its row.
    linking = upload(
        client, importing.form(button="上传并预览"), xlsx_bytes(headers, rows), "名册.xlsx"
    )
    assert linking.row("只能由党群部或系统管理员关联或修改").split()[:2] == ["2", "错误"]
    assert "确认导入" not in linking
    rows[0][5] = ""
    good = xlsx_bytes(headers, rows)
    preview = upload(client, importing.form(button="上传并预览"), good, "名册.xlsx")
    assert "新增 1" in preview and "更新 1" in preview and "错误 0" in preview
    done = submit(client, preview.form(button="确认导入"))
    assert "导入完成：新增 1 行，更新 1 行" in done
    assert "共 61 条" in done  # back on the roster
    assert "综采党小组" in done.row("邹平") and "sj02" not in done.row("邹平")
    assert "正式党员 56 人，预备党员 5 人" in open_page(client, detail.url)


def test_roster_is_scoped_to_the_branch_and_read_only_for_leaders(client):
    login(client, "sj02")
    _, roster = roster_page(client)
    login(client, "sj01")  # another branch's secretary: the roster does not exist for them
    assert client.get(roster.url).status_code == 404
    login(client, "kp01")  # a reviewer sees the tree, not members
    assert client.get(roster.url).status_code == 403
    login(client, "ld01")
    page = open_page(client, roster.url + "?q=邹平")
    assert "采煤党小组" in page.row("邹平") and "新增党员" not in page and "导入 Excel" not in page
    assert client.post(roster.url + "new/", {"name": "x", "status": "full"}).status_code == 403
    login(client, "dq01")  # the department manages every roster in its scope
    assert "新增党员" in open_page(client, roster.url)
