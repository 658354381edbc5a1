"""The department's 催办 reaches the 企业微信 and 钉钉 groups: dq01 reminds everyone with a
sheet still to submit, each reminded person's message arrives at both robots (a real HTTP
receiver on loopback checking each platform's payload and signature), and the progress page
says who was reached by which channel."""

import pytest

from tests.robot_receiver import DINGTALK_SECRET, Receiver, start

from .pages import login, open_page, submit

DEMO = "2026年度党支部标准化建设考评（演示）"


@pytest.fixture
def robots(settings):
    receiver = Receiver()
    server = start(receiver)
    settings.MESSENGER_WECOM_WEBHOOK = receiver.urls()["wecom"]
    settings.MESSENGER_DINGTALK_WEBHOOK = receiver.urls()["dingtalk"]
    settings.MESSENGER_DINGTALK_SECRET = DINGTALK_SECRET
    settings.MESSENGER_KINDS = ["reminder"]
    settings.MESSENGER_SITE_URL = "https://kaoping.example.cn"
    settings.MESSENGER_TIMEOUT_SECONDS = 2
    yield receiver
    server.shutdown()
    server.server_close()


def test_remind_reaches_the_messenger_groups(client, robots):
    login(client, "dq01")
    campaign = open_page(client, open_page(client, "/campaigns/").link(DEMO))
    progress = open_page(client, campaign.link("进度"))
    confirm = open_page(client, progress.link("催办全部未提交"))
    assert robots.requests == 0  # the confirmation sends nothing
    done = submit(client, confirm.form(button="确认催办"))
    assert "已催办" in done and "同时推送到企业微信、钉钉群" in done

    assert robots.refused == []
    wecom, dingtalk = robots.texts("wecom"), robots.texts("dingtalk")
    assert wecom and len(wecom) == len(dingtalk)
    # Each reminded person once per robot: the message names them and links to the site.
    names = [t.split("致 ")[1].split("：")[0] for t in wecom]
    assert len(names) == len(set(names))
    assert all(t.startswith("【党支部标准化考评·催办】") for t in wecom)
    assert all("https://kaoping.example.cn/" in t for t in wecom)
    assert any("蒋红梅" in t for t in dingtalk)
    # The progress page reports who was reached by which channel.
    report = open_page(client, campaign.link("进度")).text.split("最近一次催办的送达情况")[1]
    assert "蒋红梅" in report and "企业微信：已送达" in report and "钉钉：已送达" in report
    assert report.count("企业微信：已送达") == len(names)

    # The reminded secretary's message centre says the same of her notice.
    login(client, "sj01")
    notices = open_page(client, "/notices/").text
    assert "站内通知：已送达" in notices and "企业微信：已送达" in notices
