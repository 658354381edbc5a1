"""A row read by primary key with the same query every time, compiled to SQL once.

Django compiles a QuerySet to SQL on every evaluation. For a one-row read joining six
tables with a few ``Exists`` annotations (the score sheet behind its page and its
autosave) compiling costs several times running: about 2 ms against 0.3 ms on the
reference machine. ``PreparedGet`` compiles such a queryset once per process and
database, then runs the SQL with the primary key in place and builds the objects as
Django's own ``ModelIterable`` does (converters, deferred fields, ``select_related`` rows,
annotations). Only for querysets whose SQL does not depend on the moment: no ``now()``,
no parameter that changes between calls but the primary key. On PostgreSQL the statement
is also prepared on the server, once per connection (see ``_cursor``).
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet
from django.db.models.query import (  # type: ignore[attr-defined]  # private, not in the stubs
    _get_from_db,
    get_related_populators,
)
from django.db.models.sql.compiler import SQLCompiler

# Stands for the primary key while compiling; must appear once among the parameters.
_SENTINEL = 7_301_946_218_554_903
_MAX_PK = 2**63 - 1


@cache
def _preparing_cursor() -> type:
    """Django's server-binding cursor for psycopg, asking for every statement prepared."""
    from django.db.backends.postgresql.base import ServerBindingCursor

    class Preparing(ServerBindingCursor):
        def execute(self, query, params=None, **kwargs):
            return super().execute(query, params, prepare=True)

    return Preparing


def _cursor(connection):
    """Django's cursor (logged like any other query); on PostgreSQL one that binds its
    parameters on the server and keeps the statement prepared on the connection (Django's
    connections persist, ``conn_max_age``), so the planner runs once per connection, not on
    every read (planning this join takes ~2 ms, running it ~0.2 ms). Django leaves
    prepared statements off for the sake of connection poolers; this deployment has none
    (``config/deploy``), and a restart after ``migrate`` drops the old plans."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.ensure_connection()
    if connection.connection.prepare_threshold is None:  # Django's default: none prepared
        # Prepare what asks for it (this cursor) and nothing on its own.
        connection.connection.prepare_threshold = 2**31 - 1
    raw = _preparing_cursor()(connection.connection)
    if connection.queries_logged:
        return connection.make_debug_cursor(raw)
    return connection.make_cursor(raw)


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple
    slot: int  # where the primary key goes in ``params``
    compiler: SQLCompiler
    converters: dict
    init_list: list[str]
    model_slice: slice
    populators: list
    annotations: dict[str, int]
    from_db: Callable


class PreparedGet[M: Model]:
    """``PreparedGet(lambda: Sheet.objects.select_related(...).annotate(...))``, then
    ``.get(pk)``: the object or None. The factory runs once, at the first read (the app
    registry is ready by then)."""

    def __init__(self, factory: Callable[[], QuerySet[M]]):
        self._factory = factory
        self._compiled: dict[str, _Compiled] = {}

    def _compile(self, db: str) -> _Compiled:
        queryset = self._factory().using(db).filter(pk=_SENTINEL).order_by()
        compiler = queryset.query.get_compiler(using=db)
        sql, params = compiler.as_sql()
        slots = [i for i, value in enumerate(params) if value == _SENTINEL]
        if len(slots) != 1:
            raise ValueError("the primary key must be the query's only varying parameter")
        select, klass_info = compiler.select, compiler.klass_info
        fields = klass_info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        fetch_mode = queryset._fetch_mode  # type: ignore[attr-defined]  # private
        return _Compiled(
            sql=sql,
            params=tuple(params),
            slot=slots[0],
            compiler=compiler,
            converters=compiler.get_converters([s[0] for s in select[: compiler.col_count]]),
            init_list=[f[0].target.attname for f in select[start:end]],
            model_slice=slice(start, end),
            populators=get_related_populators(klass_info, select, db, fetch_mode),
            annotations=dict(compiler.annotation_col_map or {}),
            from_db=_get_from_db(klass_info["model"], fetch_mode),
        )

    def get(self, pk: int) -> M | None:
        if not isinstance(pk, int) or not 0 < pk <= _MAX_PK:
            return None
        db = DEFAULT_DB_ALIAS  # the project has one database
        compiled = self._compiled.get(db)
        if compiled is None:
            compiled = self._compiled[db] = self._compile(db)
        params = list(compiled.params)
        params[compiled.slot] = pk
        with _cursor(connections[db]) as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        if not rows:
            return None
        if compiled.converters:
            rows = list(compiled.compiler.apply_converters(rows, compiled.converters))
        row = rows[0]
        obj = compiled.from_db(db, compiled.init_list, row[compiled.model_slice])
        for populator in compiled.populators:
            populator.populate(row, obj)
        for name, position in compiled.annotations.items():
            setattr(obj, name, row[position])
        return obj
