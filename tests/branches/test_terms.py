from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from branches.models import Organization


def set_term(org, days_left, years=3):
    end = timezone.localdate() + timedelta(days=days_left)
    Organization.objects.filter(pk=org.pk).update(
        term_end=end, term_start=end.replace(year=end.year - years)
    )


def test_term_reminders_list_due_and_overdue_only(tree, dept_admin, client):
    set_term(tree.a, -10)
    set_term(tree.b, 90)
    set_term(tree.g, 91)
    client.force_login(dept_admin)
    page = client.get(reverse("term_reminders")).content.decode()
    assert "甲党支部" in page and "已超期 10 天" in page
    assert "乙党支部" in page and "90 天后届满" in page
    assert "一厂党总支" not in page
    assert page.index("甲党支部") < page.index("乙党支部")  # most urgent first


def test_home_panel_for_admins_and_leaders(tree, dept_admin, leader, secretary_a, client):
    set_term(tree.a, -3)
    for person in (dept_admin, leader):
        client.force_login(person)
        page = client.get(reverse("home")).content.decode()
        assert 'id="term-panel"' in page and "甲党支部" in page
    client.force_login(secretary_a)
    page = client.get(reverse("home")).content.decode()
    assert 'id="term-panel"' not in page
    assert "任期已届满 3 天" in page  # the secretary sees it on their own branch


def test_term_reminders_are_scoped(tree, dept_admin_e2, client):
    set_term(tree.a, -10)
    set_term(tree.b, 30)
    client.force_login(dept_admin_e2)
    page = client.get(reverse("term_reminders")).content.decode()
    assert "乙党支部" in page and "甲党支部" not in page
