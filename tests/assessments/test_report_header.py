"""The PDF running header shows names as typed: escaped for CSS, not for HTML."""

from django.template import Context, Template

from assessments import reports
from branches.models import Organization
from tests.assessments.test_reports import pdf_text, signed_sheet  # noqa: F401 — fixture


def test_css_string_escapes_for_css_not_html():
    rendered = Template('{% load report_tags %}"{{ name|css_string }}"').render(
        Context({"name": 'A&B "x" \\ </style>'})
    )
    assert "&amp;" not in rendered and "</style>" not in rendered
    assert rendered == '"A\\26 B \\22 x\\22  \\5c  \\3c /style\\3e "'


def test_running_header_shows_ampersands_once(signed_sheet):  # noqa: F811
    Organization.objects.filter(pk=signed_sheet.organization_id).update(name="甲&乙 <党支部>")
    signed_sheet.refresh_from_db()
    _, text = pdf_text(reports.render_branch(signed_sheet))
    assert "· 甲&乙 <党支部>" in text  # the header line: campaign · organization
    assert "&amp;" not in text
