"""PDF rendering with WeasyPrint, only from the app's templates.

The URL fetcher serves the app's own static files and nothing else: no network, no
``file://``. Fonts are the system's Noto CJK (Debian's fonts-noto-cjk), named explicitly.
"""

import mimetypes
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

BASE_URL = "https://kaoping.invalid/"


class RefusedResource(ValueError):
    pass


@dataclass
class StaticOnlyFetcher(URLFetcher):
    """Fetches the app's static files; refuses (and records) everything else."""

    refused: list[str] = field(default_factory=list)
    served: list[str] = field(default_factory=list)

    def __post_init__(self):
        super().__init__(allowed_protocols=["https"], allow_redirects=False)

    def fetch(self, url, headers=None):
        prefix = BASE_URL.rstrip("/") + settings.STATIC_URL
        if url.startswith(prefix) and ".." not in url:
            path = finders.find(url[len(prefix) :].split("?")[0])
            if path:
                with open(path, "rb") as handle:
                    body = handle.read()
                self.served.append(url)
                mime = mimetypes.guess_type(path)[0] or "application/octet-stream"
                return URLFetcherResponse(url, body, {"Content-Type": mime})
        self.refused.append(url)
        raise RefusedResource(f"外部资源被拒绝：{url}")


def render_pdf(template: str, context: dict, *, fetcher: StaticOnlyFetcher | None = None) -> bytes:
    html = render_to_string(template, context)
    return html_to_pdf(html, fetcher=fetcher)


def html_to_pdf(html: str, *, fetcher: StaticOnlyFetcher | None = None) -> bytes:
    return HTML(
        string=html, base_url=BASE_URL, url_fetcher=fetcher or StaticOnlyFetcher()
    ).write_pdf()
