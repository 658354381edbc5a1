"""Lookups that steer the planner. ``field__subtree=path``: the rows of a subtree by their
materialized path.

The same set as ``__startswith`` (every path beginning with "/1/7/"), written so each
database reads it from the path's index: PostgreSQL's ``LIKE 'prefix%'`` uses the pattern
index Django makes beside an indexed text column; SQLite's LIKE ignores case and so never
uses an index, but with its byte-order comparison the strings that begin with "/1/7/" are
exactly those in ["/1/7/", "/1/70"): the last character, one higher, bounds them."""

from django.db.models import CharField, ForeignKey, Lookup
from django.db.models.lookups import Exact, StartsWith


@CharField.register_lookup
class Subtree(Lookup):
    lookup_name = "subtree"

    def as_sql(self, compiler, connection):
        return StartsWith(self.lhs, self.rhs).as_sql(compiler, connection)

    def as_sqlite(self, compiler, connection):
        prefix = self.rhs
        if not isinstance(prefix, str) or not prefix:
            return self.as_sql(compiler, connection)
        lhs, params = self.process_lhs(compiler, connection)
        above = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        return f"({lhs} >= %s AND {lhs} < %s)", [*params, prefix, above]


@CharField.register_lookup
class KeyPrefix(Lookup):
    """``tree_key__keyprefix=key``: the keys that begin with ``key``, as a range on every
    database. A tree key is lowercase hex, which every collation orders as its bytes, so
    the range is the prefix's set and any index that has the key (the (kind, tree_key)
    one too, which PostgreSQL's ``LIKE`` cannot use) serves it."""

    lookup_name = "keyprefix"

    def as_sql(self, compiler, connection):
        prefix = self.rhs
        if not isinstance(prefix, str) or not prefix:
            return StartsWith(self.lhs, self.rhs).as_sql(compiler, connection)
        lhs, params = self.process_lhs(compiler, connection)
        above = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        return f"({lhs} >= %s AND {lhs} < %s)", [*params, prefix, above]


@ForeignKey.register_lookup
class Unindexed(Exact):
    """``fk__unindexed=value``: ``fk = value``, which SQLite must not answer from the key's
    index (SQLite's documented hint: a unary ``+`` on the column). For a paged list whose
    filter keeps most rows (a campaign's items), that index makes SQLite read and sort them
    all for one page; without it the list's order index serves and the read stops at the
    page. PostgreSQL weighs the ``LIMIT`` itself and gets the plain comparison. A read in
    no order (the pager's count, cut at its limit) keeps the index: it stops after the
    limit's rows whichever index it reads."""

    lookup_name = "unindexed"

    def get_rhs_op(self, connection, rhs):
        return connection.operators["exact"] % rhs

    def as_sqlite(self, compiler, connection):
        sql, params = self.as_sql(compiler, connection)
        query = compiler.query
        ordered = query.order_by or (query.default_ordering and query.get_meta().ordering)
        return (f"+{sql}" if ordered else sql), params
