"""Notices pushed to the 企业微信 and 钉钉 group robots by the task worker: each notice once
per robot, retried with back-off while the robot fails, 发送失败 with the reason once the
attempts are spent; the messages within each platform's documented limits. The robots are
a real HTTP server on loopback (tests/robot_receiver.py) that checks each request as the
platform documents it."""

import time
from collections import Counter

import pytest
from django.core.management import call_command

from assessments.models import Channel, Notice, NoticeKind, NoticePush, PushStatus
from assessments.notices import messenger
from assessments.notices.services import Draft, backoff, deliver
from assessments.notices.tasks import push_notice, queue_pushes
from branches.models import AuditEntry
from tests.robot_receiver import DINGTALK_SECRET, Receiver, start

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture
def robots(settings):
    """The receiver, with both robots pointed at it."""
    receiver = Receiver()
    server = start(receiver)
    urls = receiver.urls()
    settings.MESSENGER_WECOM_WEBHOOK = urls["wecom"]
    settings.MESSENGER_DINGTALK_WEBHOOK = urls["dingtalk"]
    settings.MESSENGER_DINGTALK_SECRET = DINGTALK_SECRET
    settings.MESSENGER_KINDS = []
    settings.MESSENGER_TIMEOUT_SECONDS = 1
    yield receiver
    server.shutdown()
    server.server_close()


def _run_worker_until_settled(seconds: float = 40) -> None:
    """Run the database worker (as `make run` does) until no push waits any more."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
        if not NoticePush.objects.filter(
            status__in=[PushStatus.PENDING, PushStatus.SENDING]
        ).exists():
            return
        time.sleep(0.2)
    raise AssertionError("pushes still waiting after the deadline")


def _drafts(secretary_a, secretary_b) -> list[Draft]:
    return [
        Draft(secretary_a, NoticeKind.OVERDUE, "m:1", "考评表已逾期：甲支部 · 自查，请尽快提交。"),
        Draft(
            secretary_b,
            NoticeKind.RETURNED,
            "m:2",
            "考评表被退回修改：乙支部 · 自查。理由：材料不全",
        ),
    ]


@pytest.mark.django_db(transaction=True)
def test_each_notice_reaches_each_robot_once_after_retries(
    robots, settings, secretary_a, secretary_b
):
    settings.TASKS = DB_TASKS
    settings.MESSENGER_RETRY_SECONDS = 0.2
    secretary_a.phone = "13800138000"
    secretary_a.save()
    # The first four well-formed requests fail: HTTP 502, errcode 45009, too slow, 502.
    robots.fail_first = 4
    robots.failures = ["http", "errcode", "slow", "http"]
    robots.slow_seconds = 1.5
    delivery = queue_pushes(deliver(_drafts(secretary_a, secretary_b)))
    assert len(delivery.pushes) == 4  # 2 notices × 2 robots, queued, nothing sent yet
    assert robots.requests == 0
    _run_worker_until_settled()

    assert robots.refused == []  # every request had the documented shape and signature
    assert robots.requests == 4 + len(Notice.objects.all()) * 2
    # Exactly one accepted message per notice per robot.
    for channel in ("wecom", "dingtalk"):
        texts = robots.texts(channel)
        per_notice = Counter(n.text for n in Notice.objects.all() for t in texts if n.text in t)
        assert per_notice == {n.text: 1 for n in Notice.objects.all()}, (channel, texts)
    pushes = list(NoticePush.objects.all())
    assert {p.status for p in pushes} == {PushStatus.SENT}
    assert sum(p.attempts for p in pushes) == len(pushes) + 4
    retried = [p for p in pushes if p.attempts > 1]
    assert retried and all(p.sent_at and p.error == "" for p in retried)
    # The mention: WeCom by mobile list, DingTalk in "at" and in the text.
    wecom = [b for ch, b in robots.accepted if ch == "wecom" and "甲支部" in b["text"]["content"]]
    assert wecom[0]["text"]["mentioned_mobile_list"] == ["13800138000"]
    ding = [b for ch, b in robots.accepted if ch == "dingtalk" and "甲支部" in b["text"]["content"]]
    assert ding[0]["at"]["atMobiles"] == ["13800138000"]
    assert "@13800138000" in ding[0]["text"]["content"]

    # Run every push again, as a duplicated or re-run task would: nothing more is sent.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    before = robots.requests
    for p in pushes:
        assert push_notice.enqueue(push_id=p.pk).return_value == "skipped"
    assert robots.requests == before
    # Delivering the same events again plans no push.
    assert deliver(_drafts(secretary_a, secretary_b)).pushes == []
    assert AuditEntry.objects.filter(model="消息推送", action="update").count() == 4


@pytest.mark.django_db(transaction=True)
def test_a_robot_that_keeps_failing_ends_failed_with_the_reason(
    robots, settings, secretary_a, dept_admin, client
):
    settings.TASKS = DB_TASKS
    settings.MESSENGER_RETRY_SECONDS = 0.1
    settings.MESSENGER_MAX_ATTEMPTS = 3
    settings.MESSENGER_DINGTALK_WEBHOOK = ""  # only 企业微信 here
    robots.fail_first = 1000
    robots.failures = ["errcode"]
    queue_pushes(deliver([Draft(secretary_a, NoticeKind.OVERDUE, "f:1", "考评表已逾期：甲")]))
    _run_worker_until_settled()
    (push,) = NoticePush.objects.all()
    assert push.status == PushStatus.FAILED and push.attempts == 3
    assert push.error.startswith("已尝试 3 次仍未送达：企业微信机器人拒收：errcode 45009")
    assert robots.requests == 3 and robots.accepted == []


def test_backoff_doubles_up_to_an_hour(settings):
    settings.MESSENGER_RETRY_SECONDS = 30
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff(20).total_seconds() == 3600


def test_nothing_is_planned_without_a_robot(db, settings, secretary_a):
    settings.MESSENGER_WECOM_WEBHOOK = settings.MESSENGER_DINGTALK_WEBHOOK = ""
    assert deliver([Draft(secretary_a, NoticeKind.OVERDUE, "n:1", "逾期")]).pushes == []


def test_only_the_kinds_named_are_pushed(db, robots, settings, secretary_a):
    settings.MESSENGER_KINDS = ["reminder"]
    delivery = deliver(
        [
            Draft(secretary_a, NoticeKind.OVERDUE, "k:1", "逾期"),
            Draft(secretary_a, NoticeKind.REMINDER, "k:2", "催办"),
        ]
    )
    assert {(p.notice.kind, p.channel) for p in delivery.pushes} == {
        ("reminder", "wecom"),
        ("reminder", "dingtalk"),
    }


def test_unreachable_robot_is_a_failed_attempt_not_an_error(db, settings, secretary_a):
    settings.MESSENGER_WECOM_WEBHOOK = "http://127.0.0.1:9/cgi-bin/webhook/send?key=x"
    settings.MESSENGER_DINGTALK_WEBHOOK = ""
    settings.MESSENGER_TIMEOUT_SECONDS = 1
    delivery = queue_pushes(deliver([Draft(secretary_a, NoticeKind.OVERDUE, "u:1", "逾期")]))
    (push,) = NoticePush.objects.filter(pk__in=[p.pk for p in delivery.pushes])
    assert push.status == PushStatus.PENDING and push.attempts == 1
    assert push.error.startswith("无法连接企业微信机器人")


# -- each platform's message, within its limits --------------------------------------------


LONG = "很长的通知内容" * 1000


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_messages_stay_within_each_platforms_limits(settings, fmt):
    settings.MESSENGER_FORMAT = fmt
    message = messenger.Message(kind="催办", text=LONG, recipient="张三", mobile="13800138000")
    wecom = messenger.payload(messenger.Robot(Channel.WECOM, "http://x"), message)
    content = wecom[fmt]["content"]
    assert len(content.encode()) <= (2048 if fmt == "text" else 4096)
    assert content.endswith("…") and content.startswith(
        "【党支部标准化考评·催办】" if fmt == "text" else "**"
    )
    ding = messenger.payload(messenger.Robot(Channel.DINGTALK, "http://x", "s"), message)
    assert len(messenger.encode(ding)) <= 20000
    assert ding["at"]["atMobiles"] == ["13800138000"]


def test_a_phone_that_is_not_a_mobile_is_not_mentioned(settings):
    settings.MESSENGER_FORMAT = "text"
    message = messenger.Message(kind="催办", text="x", recipient="张三", mobile="028-1234")
    assert (
        messenger.payload(messenger.Robot(Channel.WECOM, "u"), message)["text"][
            "mentioned_mobile_list"
        ]
        == []
    )


def test_dingtalk_signature_is_the_documented_one():
    # timestamp + "\n" + secret, HMAC-SHA256 keyed with the secret, base64, URL-encoded.
    sign = messenger.dingtalk_sign("SECabc", 1700000000000)
    assert sign == "jcUpW0QmtKduN03n4JqQ0PBosVjqnM8gU7fIIvsDmCM%3D"
    robot = messenger.Robot(
        Channel.DINGTALK, "https://oapi.dingtalk.com/robot/send?access_token=t", "SECabc"
    )
    assert messenger.signed_url(robot, now=1700000000).endswith(
        f"&timestamp=1700000000000&sign={sign}"
    )
