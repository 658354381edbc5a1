"""What a journey test may do: open pages, read them, post the forms they show.

Nothing here touches a model or a service: ids and URLs are read off the pages, the way
a person finds them by clicking."""

import io
import re
from dataclasses import dataclass, field
from decimal import Decimal
from html import unescape
from html.parser import HTMLParser

import openpyxl
from pypdf import PdfReader

from tests import otp

PASSWORD = "Dangjian@2026"  # the demo password (fixtures/demo.json)


@dataclass
class Form:
    action: str
    method: str
    attrs: dict
    fields: dict[str, str] = field(default_factory=dict)  # name → value as shown
    checkboxes: dict[str, list[tuple[str, str, bool]]] = field(default_factory=dict)
    selects: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # (value, label)
    placeholders: dict[str, str] = field(default_factory=dict)
    buttons: list[str] = field(default_factory=list)


BLOCKS = {"div", "p", "td", "th", "tr", "li", "br", "h1", "h2", "h3", "h4", "h5", "h6"}


class _Parser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []
        self.forms: list[Form] = []
        self.text: list[str] = []
        self._link: list | None = None
        self._form: Form | None = None
        self._select: str | None = None
        self._option: list | None = None
        self._label_for: str | None = None
        self._labels: dict[str, str] = {}
        self._button: list | None = None
        self._textarea: str | None = None
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag in BLOCKS:
            self.text.append(" ")  # text of separate boxes reads apart
        if tag in ("script", "style"):
            self._skip += 1
        elif tag == "a" and "href" in a:
            self._link = [a["href"], ""]
        elif tag == "form":
            self._form = Form(a.get("action", ""), a.get("method", "get").lower(), a)
            self.forms.append(self._form)
        elif tag == "input" and self._form is not None and a.get("name"):
            self._input(self._form, a)
        elif tag == "textarea" and self._form is not None and a.get("name"):
            self._form.fields[a["name"]] = ""
            self._textarea = a["name"]
        elif tag == "select" and self._form is not None:
            self._select = a.get("name")
            self._form.selects[self._select] = []
        elif tag == "option" and self._select:
            self._option = [a.get("value"), "", "selected" in a]
        elif tag == "label":
            self._label_for = a.get("for")
            self._labels[self._label_for or ""] = ""
        elif tag == "button" and self._form is not None:
            self._button = [""]

    @staticmethod
    def _input(form: Form, a: dict[str, str]) -> None:
        """A named input of the form: a checkbox with its value, id and state; a field
        with its value (and placeholder); buttons and files are not fields."""
        kind = a.get("type", "text")
        if kind == "checkbox":
            form.checkboxes.setdefault(a["name"], []).append(
                (a.get("value", "on"), a.get("id", ""), "checked" in a)
            )
        elif kind not in ("submit", "button", "file"):
            form.fields[a["name"]] = a.get("value", "")
            if "placeholder" in a:
                form.placeholders[a["name"]] = a["placeholder"]

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1
        elif tag == "a" and self._link:
            self.links.append((self._link[0], self._link[1].strip()))
            self._link = None
        elif tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "option" and self._option is not None:
            value, label, selected = self._option
            label = label.strip()
            self._form.selects[self._select].append((label if value is None else value, label))
            if selected or self._select not in self._form.fields:
                self._form.fields[self._select] = label if value is None else value
            self._option = None
        elif tag == "label":
            self._label_for = None
        elif tag == "button" and self._button is not None:
            self._form.buttons.append(self._button[0].strip())
            self._button = None
        elif tag == "textarea" and self._textarea is not None:
            # HTML drops the one newline that may open a textarea's text (Django writes it).
            text = self._form.fields[self._textarea]
            self._form.fields[self._textarea] = text.removeprefix("\n")
            self._textarea = None

    def handle_data(self, data):
        if self._skip:
            return
        self.text.append(data)
        if self._link is not None:
            self._link[1] += data
        if self._option is not None:
            self._option[1] += data
        if self._label_for is not None:
            self._labels[self._label_for] += data
        if self._button is not None:
            self._button[0] += data
        if self._textarea is not None and self._form is not None:
            self._form.fields[self._textarea] += data


class Page:
    def __init__(self, response):
        self.response = response
        self.status = response.status_code
        self.url = response.request.get("PATH_INFO", "")
        self.html = response.content.decode()
        parser = _Parser()
        parser.feed(self.html)
        self.links, self.forms, self.labels = parser.links, parser.forms, parser._labels
        for form in self.forms:
            if not form.action or form.action.startswith("?"):
                form.action = self.url + form.action  # posts back to this page
        self.text = re.sub(r"\s+", " ", unescape("".join(parser.text)))

    def __contains__(self, text: str) -> bool:
        return text in self.text

    def link(self, text: str, *, href: str = "") -> str:
        """The first link whose text contains ``text`` (and whose URL contains ``href``)."""
        for url, label in self.links:
            if text in label and href in url:
                return url
        raise AssertionError(f"no link “{text}” on {self.url}: {self.text[:300]}")

    def links_to(self, pattern: str) -> list[tuple[str, str]]:
        return [(url, label) for url, label in self.links if re.search(pattern, url)]

    def form(self, *, action: str = "", button: str = "") -> Form:
        for form in self.forms:
            if action in form.action and (not button or any(button in b for b in form.buttons)):
                return form
        raise AssertionError(f"no form {action!r}/{button!r} on {self.url}")

    def option(self, form: Form, name: str, label: str) -> str:
        """The value of the select option or checkbox whose label contains ``label``."""
        for value, text in form.selects.get(name, []):
            if label in text:
                return value
        for value, element_id, _ in form.checkboxes.get(name, []):
            if label in self.labels.get(element_id, ""):
                return value
        raise AssertionError(f"no option “{label}” for {name} on {self.url}")

    def row(self, *texts: str) -> str:
        """The text of the first table row that mentions every one of ``texts``."""
        for row in re.findall(r"<tr\b.*?</tr>", self.html, re.S):
            plain = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", row)))
            if all(text in plain for text in texts):
                return plain
        raise AssertionError(f"no row with {texts} on {self.url}")


def row_form(page: Page, *texts: str, action: str) -> Form:
    """The form inside the table row that mentions every one of ``texts``."""
    for row in re.findall(r"<tr\b.*?</tr>", page.html, re.S):
        plain = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", row)))
        if all(text in plain for text in texts):
            parser = _Parser()
            parser.feed(row)
            return next(f for f in parser.forms if action in f.action)
    raise AssertionError(f"no row with {texts} on {page.url}")


def row_link(page: Page, *texts: str, href: str = "") -> str:
    """The first link inside the table row that mentions every one of ``texts`` (and whose
    URL contains ``href``)."""
    for row in re.findall(r"<tr\b.*?</tr>", page.html, re.S):
        plain = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", row)))
        if all(text in plain for text in texts):
            urls = re.findall(r'href="([^"]*' + re.escape(href) + r'[^"]*)"', row)
            return unescape(urls[0])
    raise AssertionError(f"no row with {texts} on {page.url}")


def login(client, username: str) -> Page:
    """Log in with the password and, where the role requires it, the code the person's
    authenticator shows (enrolling one first, from the page's key, if they have none)."""
    client.logout()
    response = client.post("/accounts/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302, f"login {username} failed"
    page = open_page(client, response.url)
    if page.url == otp.ENROL:
        code = otp.code_from_secret(otp.secret_on_page(page.html))
        page = submit(client, page.form(button="完成绑定"), {"token": code})
        page = submit(client, page.form(button="我已保存"))  # the recovery codes are kept
    elif page.url == otp.VERIFY:
        page = submit(client, page.form(button="验证"), {"token": otp.code_for(username)})
    return page


def open_page(client, url: str) -> Page:
    response = client.get(url, follow=True)
    assert response.status_code == 200, (url, response.status_code)
    return Page(response)


def submit(client, form: Form, data: dict | None = None, *, page: Page | None = None) -> Page:
    """Post a form as shown (its current values), overridden by ``data``; follow the
    redirect."""
    values: dict = dict(form.fields)
    for name, boxes in form.checkboxes.items():
        checked = [value for value, _, on in boxes if on]
        if checked:
            values[name] = checked if len(boxes) > 1 else checked[0]
    values.update(data or {})
    values = {k: v for k, v in values.items() if v is not None}
    response = client.post(form.action, values, follow=True)
    assert response.status_code == 200, (form.action, response.status_code)
    return Page(response)


def fill_sheet(
    client,
    url: str,
    *,
    short: dict[str, str] | None = None,
    levels: dict[str, str] | None = None,
    vetoes: dict[str, str] | None = None,
    default_level: str = "达标",
) -> Page:
    """Open a score sheet, give every item its full points (or ``default_level``) less the
    ``short`` deductions, tick ``vetoes`` with their facts, and submit it."""
    page = open_page(client, url)
    form = page.form(action="/submit/")
    data = {}
    for name in [n for n in list(form.fields) + list(form.selects) if n.startswith("v_")]:
        code = name[2:]
        if name in form.selects:
            data[name] = (levels or {}).get(code, default_level)
            continue
        top = Decimal(form.placeholders[name].split("–")[1])
        data[name] = str(top - Decimal((short or {}).get(code, "0")))
    for code, facts in (vetoes or {}).items():
        data[f"veto_{code}"], data[f"facts_{code}"] = "on", facts
    done = submit(client, form, data)
    assert "已提交" in done.text, done.text[:500]
    return done


def sign(client, url: str) -> Page:
    page = open_page(client, url)
    done = submit(client, page.form(action="/sign/"))
    assert "已审核签发" in done.text, done.text[:500]
    return done


def sheets(page: Page) -> list[tuple[str, str]]:
    """(sheet URL, organization name) of every sheet listed on a page."""
    return page.links_to(r"^/sheets/\d+/$")


def xlsx_rows(content: bytes) -> list[tuple]:
    book = openpyxl.load_workbook(io.BytesIO(content))
    return list(book.worksheets[0].iter_rows(values_only=True))


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF")
    # Lines wrap mid-phrase in Chinese: read the text as one run.
    pages = PdfReader(io.BytesIO(content)).pages
    return "".join(page.extract_text() for page in pages).replace("\n", "")


def report(client, results: Page, button: str) -> str:
    """Start a report from the results page, wait on its page, download, read back."""
    job = submit(client, results.form(button=button))
    assert "完成" in job.text or "下载" in job.text, job.text[:300]
    response = client.get(job.link("下载"))
    assert response.status_code == 200
    return pdf_text(
        b"".join(response.streaming_content) if response.streaming else response.content
    )


def download(client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return b"".join(response.streaming_content) if response.streaming else response.content


def my_sheets(client, stage: str) -> list[tuple[str, str]]:
    """The sheets on my home page to fill for a stage: (URL, organization name)."""
    home = open_page(client, "/")
    return [
        (url, label.split(" · ")[0]) for url, label in sheets(home) if label.endswith(f"· {stage}")
    ]


def sign_submitted(client, progress_url: str) -> int:
    """The department signs every submitted sheet listed on the campaign's progress page."""
    signed = 0
    while True:
        listed = sheets(open_page(client, f"{progress_url}?status=submitted"))
        if not listed:
            return signed
        for url, _ in listed:
            sign(client, url)
            signed += 1


def create_campaign(client, **choices) -> Page:
    """新建考评活动: fill the form the page shows; ``choices`` are labels for the selects
    (version, scope, template, quarter) and values for the rest."""
    page = open_page(client, "/campaigns/new/")
    form = page.form(button="创建")
    data = {}
    for name, value in choices.items():
        if name in form.selects:
            data[name] = page.option(form, name, value)
        elif name == "kinds":
            data[name] = [page.option(form, "kinds", label) for label in value]
        else:
            data[name] = value
    created = submit(client, form, data, page=page)
    assert "已创建" in created.text, created.text[:800]
    return created


def upload(client, form: Form, content: bytes, name: str = "评分表.xlsx") -> Page:
    """Post a file-upload form with one file (the ``file`` field)."""
    handle = io.BytesIO(content)
    handle.name = name
    response = client.post(form.action, {**form.fields, "file": handle}, follow=True)
    assert response.status_code == 200, (form.action, response.status_code)
    return Page(response)


def rerate_form(client, ledger: Page, *texts: str) -> Form:
    """The 改评 form of the result in the ledger's row that mentions ``texts``."""
    return open_page(client, row_link(ledger, *texts, href="/rerate/")).form(button="登记改评")
