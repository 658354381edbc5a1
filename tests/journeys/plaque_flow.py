"""A quarter's 亮牌 as its pages run it: the department opens this quarter's campaign and
kp01 scores every instrument by hand; an inspector fills a 互查评分表; the department enters
a pairing's quarterly 帮扶成效 score. Pages only, like ``pages``."""

from datetime import date

from branches.toolkit.periods import QUARTER_CHOICES, quarter_of

from .pages import (
    Page,
    create_campaign,
    fill_sheet,
    login,
    my_sheets,
    open_page,
    sign_submitted,
    submit,
)

TODAY = date.today()
QUARTER = quarter_of(TODAY)[1]
INSTRUMENTS = ("星级党支部考核", "互查评分", "帮扶成效评分")
CODES = ("star", "inspection", "pairing")


def hand_entered_quarter(
    client, scores: dict[str, tuple[int, int, int]], shown: dict | None = None
) -> str:
    """dq01 runs this quarter's 亮牌 campaign; kp01 scores every instrument of the five
    branches by hand (80 unless told), dq01 signs. Returns the campaign's URL; ``shown``
    collects each submitted sheet's page by (stage, branch)."""
    login(client, "dq01")
    detail = create_campaign(
        client,
        name=f"{TODAY.year}年第{QUARTER}季度亮牌",
        version="亮牌",
        scope="NH",
        template="西北能化",
        year=str(TODAY.year),
        quarter=dict(QUARTER_CHOICES)[QUARTER],
        start=TODAY.isoformat(),
    )
    campaign = submit(client, detail.form(action="/open/")).url
    for url, _ in open_page(client, campaign).links_to(r"/stages/\d+/assign/"):
        assign = open_page(client, url)
        form = assign.form(button="分配")
        submit(client, form, {"people": [assign.option(form, "people", "kp01")]})
    login(client, "kp01")
    for position, stage in enumerate(INSTRUMENTS):
        for url, name in my_sheets(client, stage):
            score = scores.get(name, (80, 80, 80))[position]
            page = fill_sheet(client, url, short={k: str(100 - score) for k in CODES})
            if shown is not None:
                shown[stage, name] = page
    login(client, "dq01")
    assert sign_submitted(client, open_page(client, campaign).link("进度")) == 15
    return campaign


def fill_inspection(client, page: Page, deductions: dict[str, tuple[str, str]]) -> str:
    """The inspector, on the inspection's page: the four steps, full marks less
    ``deductions`` ({item: (score, problem)}), submitted. Returns the page's text."""
    form = page.form(action="/submit/")
    data = {
        "step_report": "听汇报",
        "step_documents": "查资料",
        "step_site": "看现场",
        "step_members": "访党员",
        "strengths": "台账齐全",
        "problems": "积分未公示",
        "suggestions": "按月公示",
        "deadline": TODAY.isoformat(),
    }
    for name in form.fields:
        if name.startswith("s_"):
            data[name] = page.labels[f"id_{name}"].split("（")[-1].split(" 分")[0]
    for code, (score, problem) in deductions.items():
        data[f"s_{code}"], data[f"p_{code}"] = score, problem
    return submit(client, form, data).text


def evaluate_pairing(client, branch: str, score: str) -> None:
    """dq01 enters the pairing's quarterly 帮扶成效 score on the pairing page."""
    login(client, "dq01")
    listing = open_page(client, "/mechanisms/pairings/")
    page = open_page(client, listing.link(branch))
    done = submit(
        client,
        page.form(action="/evaluate/"),
        {"year": TODAY.year, "quarter": QUARTER, "score": score},
    )
    assert f"帮扶成效 {score} 分" in done
