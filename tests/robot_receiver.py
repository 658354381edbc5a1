"""A local stand-in for the 企业微信 and 钉钉 group robots: an HTTP server on loopback that
checks each request the way the platform documents it (the JSON shape and byte limits; for
钉钉 the ``timestamp`` and ``sign`` query parameters, verified with the secret), fails the
first ``fail_first`` well-formed requests (HTTP 502, a platform errcode, or too slow to
answer) and keeps every message it accepted."""

import base64
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

WECOM_KEY = "wecom-test-key"
DINGTALK_TOKEN = "dingtalk-test-token"
DINGTALK_SECRET = "SEC0123456789abcdef0123456789abcdef"


@dataclass
class Receiver:
    port: int = 0
    fail_first: int = 0
    failures: list[str] = field(default_factory=lambda: ["http", "errcode"])
    slow_seconds: float = 0.0
    requests: int = 0
    accepted: list[tuple[str, dict]] = field(default_factory=list)  # (channel, payload)
    refused: list[str] = field(default_factory=list)  # malformed requests and why
    lock: threading.Lock = field(default_factory=threading.Lock)

    def urls(self) -> dict[str, str]:
        base = f"http://127.0.0.1:{self.port}"
        return {
            "wecom": f"{base}/cgi-bin/webhook/send?key={WECOM_KEY}",
            "dingtalk": f"{base}/robot/send?access_token={DINGTALK_TOKEN}",
        }

    def texts(self, channel: str) -> list[str]:
        out = []
        for ch, body in self.accepted:
            if ch == channel:
                part = body.get(body["msgtype"], {})
                out.append(part.get("content") or part.get("text") or "")
        return out


def _wecom_problem(query: dict, body: dict) -> str | None:
    if query.get("key") != [WECOM_KEY]:
        return "wrong key"
    kind = body.get("msgtype")
    if kind not in ("text", "markdown") or set(body) != {"msgtype", kind}:
        return f"bad shape {sorted(body)}"
    content = body[kind].get("content")
    if not isinstance(content, str) or not content:
        return "no content"
    limit = 2048 if kind == "text" else 4096
    if len(content.encode("utf-8")) > limit:
        return f"content over {limit} bytes"
    if kind == "text" and not isinstance(body["text"].get("mentioned_mobile_list", []), list):
        return "mentioned_mobile_list not a list"
    return None


def _dingtalk_problem(query: dict, body: dict, raw: bytes) -> str | None:
    if query.get("access_token") != [DINGTALK_TOKEN]:
        return "wrong token"
    try:
        (timestamp,) = query["timestamp"]
        (sign,) = query["sign"]
    except (KeyError, ValueError):
        return "no timestamp or sign"
    if abs(int(timestamp) - time.time() * 1000) > 3600 * 1000:
        return "timestamp older than an hour"
    expected = base64.b64encode(
        hmac.new(
            DINGTALK_SECRET.encode(), f"{timestamp}\n{DINGTALK_SECRET}".encode(), hashlib.sha256
        ).digest()
    ).decode()
    if sign != expected:  # parse_qs has undone the URL encoding
        return "sign does not match"
    if len(raw) > 20000:
        return "body over 20000 bytes"
    kind = body.get("msgtype")
    if kind == "text" and isinstance(body.get("text", {}).get("content"), str):
        return None
    if (
        kind == "markdown"
        and body.get("markdown", {}).get("title")
        and body["markdown"].get("text")
    ):
        return None
    return f"bad shape {sorted(body)}"


def _check(path: str, query: dict, body: dict, raw: bytes) -> tuple[str, str | None]:
    """The platform a request is for, and what is wrong with it (None: nothing)."""
    if path == "/cgi-bin/webhook/send":
        return "wecom", _wecom_problem(query, body)
    if path == "/robot/send":
        return "dingtalk", _dingtalk_problem(query, body, raw)
    return "", "unknown path"


def _handler(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # quiet
            pass

        def _answer(self, status: int, payload: dict) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            try:
                body = json.loads(raw.decode("utf-8"))
            except ValueError:
                body = {}
            channel, problem = _check(url.path, query, body, raw)
            if "json" not in self.headers.get("Content-Type", ""):
                problem = "not JSON"
            with receiver.lock:
                receiver.requests += 1
                n = receiver.requests
                if problem:
                    receiver.refused.append(f"{channel}: {problem}")
            if problem:
                # What the platforms answer a bad key or a bad signature: 200 and an errcode.
                self._answer(200, {"errcode": 310000, "errmsg": problem})
                return
            if n <= receiver.fail_first:
                how = receiver.failures[(n - 1) % len(receiver.failures)]
                if how == "http":
                    self._answer(502, {"message": "bad gateway"})
                elif how == "slow":
                    time.sleep(receiver.slow_seconds)
                    self._answer(200, {"errcode": 0, "errmsg": "ok"})
                else:
                    self._answer(200, {"errcode": 45009, "errmsg": "api freq out of limit"})
                return
            with receiver.lock:
                receiver.accepted.append((channel, body))
            self._answer(200, {"errcode": 0, "errmsg": "ok"})

    return Handler


def start(receiver: Receiver) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    receiver.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
