"""The API's docs page works in a real browser from the app alone: Swagger UI (served from
the drf-spectacular-sidecar package) renders every call of the schema under the app's
Content-Security-Policy, with no console error and no request leaving the server."""

from playwright.sync_api import expect

from tests.browser.conftest import log_in


def test_the_docs_page_renders_the_schema_without_a_cdn(page, live_server, secretary_a):
    errors, outside = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "request",
        lambda r: None if r.url.startswith(live_server.url) else outside.append(r.url),
    )
    log_in(page, "sec_a")
    page.goto("/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("党支部标准化考评 API")
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/organizations/").first)
    expect(page.get_by_role("button", name="Authorize")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert errors == []
    assert [u for u in outside if not u.startswith("data:")] == []
