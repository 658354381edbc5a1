"""``field__subtree=path``: the rows of a subtree by their materialized path.

The same set as ``__startswith`` (every path beginning with "/1/7/"), written so each
database reads it from the path's index: PostgreSQL's ``LIKE 'prefix%'`` uses the pattern
index Django makes beside an indexed text column; SQLite's LIKE ignores case and so never
uses an index, but with its byte-order comparison the strings that begin with "/1/7/" are
exactly those in ["/1/7/", "/1/70"): the last character, one higher, bounds them."""

from django.db.models import CharField, Lookup
from django.db.models.lookups import StartsWith


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
