"""PDF rendering with WeasyPrint, only from the app's templates.

The URL fetcher serves the app's own static files and nothing else: no network, no
``file://``. Fonts are the system's Noto CJK (Debian's fonts-noto-cjk), named explicitly.
"""

import mimetypes
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

# WeasyPrint (and the font libraries it loads) is imported when a PDF is first rendered,
# not when the app starts: every web worker, command and task process starts faster.

BASE_URL = "https://kaoping.invalid/"


class RefusedResource(ValueError):
    pass


@dataclass
class StaticOnlyFetcher:
    """Fetches the app's static files; refuses (and records) everything else."""

    refused: list[str] = field(default_factory=list)
    served: list[str] = field(default_factory=list)

    def fetch(self, url, headers=None):
        from weasyprint.urls import URLFetcherResponse

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


def _weasyprint_fetcher(fetcher: StaticOnlyFetcher):
    """WeasyPrint's fetcher interface around ``fetcher`` (https only, no redirects)."""
    from weasyprint.urls import URLFetcher

    class Fetcher(URLFetcher):
        def fetch(self, url, headers=None):
            return fetcher.fetch(url, headers)

    return Fetcher(allowed_protocols=["https"], allow_redirects=False)


def html_to_pdf(html: str, *, fetcher: StaticOnlyFetcher | None = None) -> bytes:
    from weasyprint import HTML

    url_fetcher = _weasyprint_fetcher(fetcher or StaticOnlyFetcher())
    return HTML(string=html, base_url=BASE_URL, url_fetcher=url_fetcher).write_pdf()
