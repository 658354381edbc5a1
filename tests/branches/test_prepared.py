"""A prepared read (SQL compiled once) gives what the ordinary queryset gives: the row's
fields, its deferred fields left out, its select_related rows (or None through a null
foreign key) and its annotations; None for a missing or out-of-range key; one query."""

import pytest
from django.db.models import Count, Exists, OuterRef

from branches.models import Membership, Organization
from branches.toolkit.prepared import PreparedGet


def _memberships():
    return (
        Membership.objects.select_related("organization__parent", "user")
        .annotate(
            siblings=Exists(
                Membership.objects.filter(organization_id=OuterRef("organization_id")).exclude(
                    pk=OuterRef("pk")
                )
            ),
            children=Count("organization__children"),
        )
        .defer("user__password", "organization__committee_members")
    )


def test_prepared_read_matches_the_queryset(
    tree, secretary_a, dept_admin, django_assert_num_queries
):
    prepared = PreparedGet(_memberships)
    for membership in Membership.objects.all():
        expected = _memberships().get(pk=membership.pk)
        with django_assert_num_queries(1):
            got = prepared.get(membership.pk)
            assert got.organization.name == expected.organization.name
            assert got.user.username == expected.user.username
            parent = got.organization.parent
            assert (parent and parent.pk) == expected.organization.parent_id
            assert (got.siblings, got.children) == (expected.siblings, expected.children)
            assert got.created_at == expected.created_at  # converted as the ORM does
            assert "password" in got.user.get_deferred_fields()
    # The root has no parent: the joined row is None, not an empty object.
    root = Membership.objects.filter(organization__parent__isnull=True).first()
    assert root is not None and prepared.get(root.pk).organization.parent is None


def test_prepared_read_of_nothing(tree, django_assert_num_queries):
    prepared = PreparedGet(lambda: Organization.objects.select_related("parent"))
    with django_assert_num_queries(1):
        assert prepared.get(10**9) is None
    with django_assert_num_queries(0):
        assert prepared.get(10**20) is None and prepared.get(0) is None
        assert prepared.get("1") is None  # ids come from URL converters, as int


def test_postgresql_plans_it_once_per_connection(tree, secretary_a):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's (set DATABASE_URL)")
    prepared = PreparedGet(_memberships)
    first = Membership.objects.first()
    for _ in range(3):
        assert prepared.get(first.pk).pk == first.pk
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ['%FROM "branches_membership"%'],
        )
        assert cursor.fetchone()[0] >= 1
