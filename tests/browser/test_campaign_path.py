"""The whole path in a real browser: self-assessment, review and return, resubmission,
sign-off, then the cross-review draw."""

from django.utils import timezone
from playwright.sync_api import expect

from assessments import services
from assessments.models import ScoreSheet, SheetStatus
from branches.models import Membership, Organization, Role
from tests.assessments.conftest import groups_tree, simple_version  # noqa: F401
from tests.browser.conftest import log_in
from tests.conftest import make_user, open_every_stage


def new_page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("dialog", lambda dialog: dialog.accept())
    return page


def test_whole_campaign_path(browser, live_server, groups_tree):  # noqa: F811
    root, _enterprises, _reviewers, admin = groups_tree
    branch = Organization.objects.get(code="E1-B1")
    make_user("sec1", (branch, Role.SECRETARY), name="一支部书记")
    reviewer = make_user("kp0", (root, Role.REVIEWER), name="党群部考评员")
    campaign = services.create_campaign(
        by=admin,
        name="2026年度以评促建",
        scope=root,
        version=simple_version(),
        year=2026,
        quarter=None,
        template="xining",
        start=timezone.localdate(),
    )
    open_every_stage(campaign)  # every stage's sheets may be submitted today
    services.open_campaign(campaign, by=admin)
    services.assign_reviewers(
        campaign.stages.get(kind="full"), by=admin, reviewers=[reviewer], orgs=[branch]
    )
    self_sheet = ScoreSheet.objects.get(stage__kind="self", organization=branch)

    # 1. The secretary fills the self-assessment (autosaved, total live) and submits.
    secretary = new_page(browser, live_server)
    log_in(secretary, "sec1")
    secretary.locator("#my-tasks").get_by_role("link", name="企业1第1支部 · 自查自评").click()
    secretary.get_by_label("1.1 得分").fill("5")
    secretary.get_by_label("1.2 得分").fill("5")
    expect(secretary.locator("#running-total")).to_have_text("10")
    expect(secretary.locator("#provisional-grade")).to_have_text("达标")
    secretary.get_by_role("button", name="提交").click()
    expect(secretary.locator("#sheet-state")).to_have_text("已提交")

    # 2. The reviewer scores the branch, sees the self-assessment beside it, returns it.
    review = new_page(browser, live_server)
    log_in(review, "kp0")
    # On a slow line the scores are typed before the page's script has arrived: they are
    # saved, counted and compared all the same once it runs.
    held: list = []
    review.route("**/js/sheet*.js", lambda route: held.append(route))
    review.locator("#my-tasks").get_by_role("link", name="企业1第1支部 · 全面考评").click()
    review.get_by_label("1.1 得分").fill("4")
    review.get_by_label("1.2 得分").fill("3")
    while not held:
        review.wait_for_timeout(50)
    held[0].continue_()
    review.unroute("**/js/sheet*.js")
    with review.expect_response(lambda r: "autosave" in r.url):
        review.get_by_label("1.2 扣分说明").fill("主题党日记录不全")
        review.get_by_label("1.2 扣分说明").press("Tab")
    expect(review.locator("#running-total")).to_have_text("7")
    # The self-assessment's differing values are highlighted beside mine as I type…
    expect(review.locator("#row-1\\.2 td.table-warning")).to_have_text("5")
    review.get_by_label("1.2 得分").fill("5")
    expect(review.locator("#row-1\\.2 td.table-warning")).to_have_count(0)
    with review.expect_response(lambda r: "autosave" in r.url):
        review.get_by_label("1.2 得分").fill("3")
        review.get_by_label("1.2 得分").press("Tab")
    review.reload()  # …and after a reload, from what was saved.
    expect(review.locator("#row-1\\.2 td.table-warning")).to_have_text("5")
    expect(review.get_by_label("1.2 扣分说明")).to_have_value("主题党日记录不全")
    review.get_by_role("button", name="提交").click()
    expect(review.locator("#sheet-state")).to_have_text("已提交")
    review.goto("/")
    review.get_by_role("link", name="企业1第1支部 · 自查自评").click()
    review.get_by_label("退回原因（必填）").fill("1.2 请补充主题党日记录")
    review.get_by_role("button", name="退回修改").click()
    expect(review.locator("#sheet-state")).to_have_text("已退回")

    # 3. The secretary sees why, fixes and resubmits.
    secretary.goto("/")
    expect(secretary.locator("#my-tasks")).to_contain_text("1.2 请补充主题党日记录")
    secretary.locator("#my-tasks").get_by_role("link", name="企业1第1支部 · 自查自评").click()
    secretary.get_by_label("1.2 得分").fill("4")
    expect(secretary.locator("#running-total")).to_have_text("9")
    secretary.get_by_role("button", name="提交").click()
    expect(secretary.locator("#sheet-state")).to_have_text("已提交")

    # 4. The department signs it off.
    dept = new_page(browser, live_server)
    log_in(dept, "dept")
    dept.locator("#my-tasks").get_by_role("link", name="企业1第1支部 · 自查自评").click()
    dept.get_by_role("button", name="审核签发").click()
    expect(dept.locator("#sheet-state")).to_have_text("已签发")
    expect(dept.locator("#signature")).to_contain_text("党群部")
    self_sheet.refresh_from_db()
    assert self_sheet.status == SheetStatus.SIGNED and len(self_sheet.digest) == 64
    assert [e.to_status for e in self_sheet.events.all()] == [
        "submitted",
        "returned",
        "submitted",
        "signed",
    ]

    # 5. The cross-review sample is drawn; drawn branches go to the other groups' reviewers.
    dept.goto(f"/campaigns/{campaign.pk}/")
    dept.get_by_role("link", name="抽样并分配互评").click()
    dept.get_by_role("button", name="抽样并生成互评考评表").click()
    expect(dept.locator("#redraw")).to_contain_text("一致")
    cross = ScoreSheet.objects.filter(stage__kind="cross").select_related("organization")
    assert cross.count() == 3  # ⌈3 × 0.3⌉ = 1 branch in each of the 3 enterprises
    for sheet in cross:
        own = Membership.objects.get(user=sheet.assessor, role=Role.REVIEWER).organization
        assert own != sheet.organization.enterprise
    some = cross.first()
    other = new_page(browser, live_server)
    log_in(other, some.assessor.username)
    expect(other.locator("#my-tasks")).to_contain_text(f"{some.organization.name} · 交叉互评")


def test_a_second_tab_gets_a_conflict_not_an_overwrite(browser, live_server, groups_tree):  # noqa: F811
    root, *_, admin = groups_tree
    branch = Organization.objects.get(code="E2-B1")
    make_user("sec2", (branch, Role.SECRETARY), name="二支部书记")
    campaign = services.create_campaign(
        by=admin,
        name="考评",
        scope=root,
        version=simple_version(),
        year=2026,
        quarter=None,
        template="standardization",
        start=timezone.localdate(),
    )
    services.open_campaign(campaign, by=admin)
    sheet = ScoreSheet.objects.get(organization=branch)
    first = new_page(browser, live_server)
    log_in(first, "sec2")
    second = first.context.new_page()
    second.set_default_timeout(15_000)
    first.goto(f"/sheets/{sheet.pk}/")
    second.goto(f"/sheets/{sheet.pk}/")
    first.get_by_label("1.1 得分").fill("5")
    expect(first.locator("#saved-at")).to_be_visible()
    second.get_by_label("1.2 得分").fill("2")
    expect(second.locator("#conflict")).to_contain_text("已在别处")
    # Only the lines that differ are listed, both values: 1.1 (saved by the other tab)…
    expect(second.locator("#conflict-differences tr[data-code='1.1']")).to_contain_text("5")
    # …and 1.2, typed here and kept in the form.
    expect(second.locator("#conflict-differences tr[data-code='1.2']")).to_contain_text("2")
    expect(second.get_by_label("1.2 得分")).to_have_value("2")
    sheet.refresh_from_db()
    assert list(sheet.entries.values_list("code", flat=True)) == ["1.1"]
