from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from branches.models import (
    TERM_WARNING_DAYS,
    TERM_YEARS,
    Organization,
    OrgKind,
    term_due_q,
    term_rule,
)


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


def test_the_warning_period_is_one_rule_for_rows_and_queries(tree):
    """``Organization.term_due`` and its query twin ``term_due_q`` agree at the edges."""
    edges = [(-1, True), (0, True), (TERM_WARNING_DAYS, True), (TERM_WARNING_DAYS + 1, False)]
    for days, due in edges:
        set_term(tree.a, days)
        org = Organization.objects.get(pk=tree.a.pk)
        assert org.term_due is due and org.term_overdue is (days < 0)
        assert Organization.objects.filter(term_due_q(), pk=org.pk).exists() is due
    Organization.objects.filter(pk=tree.a.pk).update(term_start=None, term_end=None)
    org = Organization.objects.get(pk=tree.a.pk)
    assert not org.term_due and not org.term_overdue
    assert not Organization.objects.filter(term_due_q(), pk=org.pk).exists()


def test_the_term_rule_in_words_follows_the_term_years():
    assert term_rule() == "党支部、党总支每届 2–3 年，党委每届 3–5 年"
    for kind, (low, high) in TERM_YEARS.items():
        assert f"{low}–{high} 年" in term_rule() and OrgKind(kind).label in term_rule()
