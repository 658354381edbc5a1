"""Steps that cannot be undone ask first, on a page of their own (no inline script)."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from assessments import services
from rubrics.models import VersionStatus
from tests.assessments.test_rectification import PDF, consolidated, item_of  # noqa: F401
from tests.rubrics.conftest import version_of


@pytest.fixture
def rubrics(db):
    call_command("load_rubrics", verbosity=0)


def test_publishing_a_rubric_asks_first(rubrics, dept_admin, client):
    client.force_login(dept_admin)
    page = client.get(reverse("rubric_version", args=["xining-2021", 1])).content.decode()
    form = page[page.rindex("<form", 0, page.index('id="publish-button"')) :]
    assert form.startswith('<form method="get"')  # the button opens the confirm step
    url = reverse("rubric_publish", args=["xining-2021", 1])
    confirm = client.get(url, {"confirm": "on"}).content.decode()
    assert "确认发布" in confirm and "发布后该版本不能再修改" in confirm
    assert 'name="confirm" value="on"' in confirm and "onclick" not in confirm
    assert version_of("xining-2021").status == VersionStatus.DRAFT  # asking changes nothing
    page = client.post(url, {"confirm": "on"}, follow=True).content.decode()
    assert "已发布第 1 版" in page
    assert version_of("xining-2021").status == VersionStatus.PUBLISHED


def test_closing_a_rectification_asks_first(
    consolidated,  # noqa: F811
    tree,
    secretary_a,
    reviewer,
    client,
):
    item = item_of(consolidated, tree.a)
    services.write_measure(item, by=secretary_a, measure="按月召开支委会", responsible="甲书记")
    services.add_rectification_evidence(item, by=secretary_a, name="记录.pdf", content=PDF)
    services.submit_rectification(item, by=secretary_a)
    client.force_login(reviewer)
    detail = client.get(reverse("rectification_detail", args=[item.pk])).content.decode()
    form = detail[detail.rindex("<form", 0, detail.index('id="close-button"')) :]
    assert form.startswith('<form method="get"')
    url = reverse("rectification_close", args=[item.pk])
    confirm = client.get(url, {"note": "已核实"}).content.decode()
    assert "确认销号" in confirm and "按月召开支委会" in confirm and ">已核实</textarea>" in confirm
    item.refresh_from_db()
    assert item.status == "submitted"
    client.post(url, {"note": "已核实"})
    item.refresh_from_db()
    assert item.status == "closed"
