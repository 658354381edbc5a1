"""The messengers' group robots: which are configured, the message each platform takes, the
signature DingTalk asks for, and one bounded HTTP POST. No database here: the services
decide what to send and record what came back.

- 企业微信 group robot: POST JSON ``{"msgtype": "text", "text": {"content": ...,
  "mentioned_mobile_list": [...]}}`` or ``{"msgtype": "markdown", "markdown": {"content":
  ...}}`` to the webhook URL; content at most 2048 bytes (text) or 4096 bytes (markdown).
- 钉钉 custom robot: POST JSON ``{"msgtype": "text", "text": {"content": ...}, "at":
  {"atMobiles": [...]}}`` or ``{"msgtype": "markdown", "markdown": {"title": ..., "text":
  ...}}``; the body at most 20000 bytes. With 加签 the URL carries ``timestamp`` (ms) and
  ``sign`` = urlencode(base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}"))).
- Both answer ``{"errcode": 0, "errmsg": "ok"}`` on success; anything else is a failure
  worth retrying (a wrong key fails every time, and runs out of attempts).
"""

import base64
import hashlib
import hmac
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from django.conf import settings

from ..models import Channel

# Each platform's documented limits.
WECOM_TEXT_BYTES = 2048
WECOM_MARKDOWN_BYTES = 4096
DINGTALK_BODY_BYTES = 20000
RESPONSE_BYTES = 4096  # what is read of a robot's answer
PER_MINUTE = 20  # each robot takes at most 20 messages a minute (both platforms)
MOBILE = re.compile(r"^1\d{10}$")
ELLIPSIS = "…"


@dataclass(frozen=True)
class Robot:
    channel: str
    url: str
    secret: str = ""  # 钉钉 加签 only


@dataclass(frozen=True)
class Message:
    """What a robot posts: the notice's kind, its text, who it is for, where to act."""

    kind: str  # the notice kind's label, e.g. 催办
    text: str
    recipient: str  # the person's name
    mobile: str = ""  # @-mentioned when it is a mainland mobile number
    link: str = ""  # absolute URL, when MESSENGER_SITE_URL is set


@dataclass(frozen=True)
class Outcome:
    ok: bool
    error: str = ""  # Chinese, for the department's page


def robots() -> dict[str, Robot]:
    """The configured robots by channel (none when no webhook URL is set)."""
    found = {}
    if url := settings.MESSENGER_WECOM_WEBHOOK:
        found[Channel.WECOM.value] = Robot(Channel.WECOM.value, url)
    if url := settings.MESSENGER_DINGTALK_WEBHOOK:
        found[Channel.DINGTALK.value] = Robot(
            Channel.DINGTALK.value, url, settings.MESSENGER_DINGTALK_SECRET
        )
    return found


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's 加签, URL-encoded as it goes into the query string."""
    digest = hmac.new(
        secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest))


def signed_url(robot: Robot, *, now: float | None = None) -> str:
    if robot.channel != Channel.DINGTALK or not robot.secret:
        return robot.url
    timestamp = int((time.time() if now is None else now) * 1000)
    separator = "&" if "?" in robot.url else "?"
    return (
        f"{robot.url}{separator}timestamp={timestamp}&sign={dingtalk_sign(robot.secret, timestamp)}"
    )


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes (an ellipsis marks a cut)."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    room = limit - len(ELLIPSIS.encode("utf-8"))
    return data[:room].decode("utf-8", errors="ignore") + ELLIPSIS


def _body_text(message: Message, markdown: bool) -> str:
    title = f"【党支部标准化考评·{message.kind}】"
    if markdown:
        lines = [f"**{title}**", f"> 致 {message.recipient}", "", message.text]
        if message.link:
            lines += ["", f"[去办理]({message.link})"]
        return "\n".join(lines)
    lines = [title, f"致 {message.recipient}：{message.text}"]
    if message.link:
        lines.append(f"去办理：{message.link}")
    return "\n".join(lines)


def payload(robot: Robot, message: Message) -> dict:
    """The JSON a robot takes, within its platform's limits."""
    markdown = settings.MESSENGER_FORMAT == "markdown"
    mobiles = [message.mobile] if MOBILE.match(message.mobile or "") else []
    text = _body_text(message, markdown)
    if robot.channel == Channel.WECOM:
        if markdown:
            return {
                "msgtype": "markdown",
                "markdown": {"content": clip(text, WECOM_MARKDOWN_BYTES)},
            }
        return {
            "msgtype": "text",
            "text": {"content": clip(text, WECOM_TEXT_BYTES), "mentioned_mobile_list": mobiles},
        }
    # DingTalk highlights an @ only when the text names the mobile too.
    mention = "".join(f" @{m}" for m in mobiles)
    room = DINGTALK_BODY_BYTES - 1000  # the JSON around the text, the title and the mentions
    if markdown:
        return {
            "msgtype": "markdown",
            "markdown": {
                "title": f"党支部标准化考评·{message.kind}"[:50],
                "text": clip(text, room) + mention,
            },
            "at": {"atMobiles": mobiles, "isAtAll": False},
        }
    return {
        "msgtype": "text",
        "text": {"content": clip(text, room) + mention},
        "at": {"atMobiles": mobiles, "isAtAll": False},
    }


def encode(body: dict) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def send(robot: Robot, message: Message) -> Outcome:
    """POST the message to the robot once, within MESSENGER_TIMEOUT_SECONDS; never raises."""
    name = Channel(robot.channel).label
    data = encode(payload(robot, message))
    request = urllib.request.Request(
        signed_url(robot),
        data=data,
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    timeout = settings.MESSENGER_TIMEOUT_SECONDS
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = response.read(RESPONSE_BYTES)
    except urllib.error.HTTPError as exc:
        return Outcome(False, f"{name}机器人返回 HTTP {exc.code}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(exc, TimeoutError) or isinstance(reason, TimeoutError):
            return Outcome(False, f"连接{name}机器人超时（{timeout} 秒）")
        return Outcome(False, f"无法连接{name}机器人：{reason}"[:300])
    try:
        result = json.loads(answer.decode("utf-8"))
        errcode = int(result.get("errcode", -1))
    except (ValueError, AttributeError, TypeError):
        return Outcome(False, f"{name}机器人的应答无法识别")
    if errcode != 0:
        errmsg = str(result.get("errmsg", ""))[:120]
        return Outcome(False, f"{name}机器人拒收：errcode {errcode} {errmsg}".strip())
    return Outcome(True)
