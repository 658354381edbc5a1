"""The audit trail as a hash chain (GB/T 22239-2019 level 3: audit records protected from
unexpected deletion, modification or overwriting).

Each AuditEntry carries ``prev_hash`` (the ``row_hash`` of the row before it, by id) and
``row_hash`` = SHA-256(prev_hash + content digest), the content digest being SHA-256 over
the row's canonical content (``canonical``). The application computes the content digest
(``prepare``, from AuditEntry.save and its queryset's bulk_create) and marks the row
``PENDING``; the database links it onto the chain inside the INSERT itself, so the audit
write costs no extra statement (the autosave pins) and two writers cannot fork the chain:

- PostgreSQL: a BEFORE INSERT trigger takes a transaction-level advisory lock, draws the
  row's id under it (so id order is chain order), reads the last row's hash and links.
  A second trigger refuses UPDATE and DELETE (the table is append-only).
- SQLite: an AFTER INSERT trigger links the row (Django registers SHA256() on its
  connections; writes are serialized by the database's write lock).

The triggers come with migration branches 0011_audit_chain, and ``install`` puts them
back after every migrate (test databases are built without migrations).
``manage.py verify_audit`` walks the chain and names the first broken link.
"""

import hashlib
import ipaddress
import json
from dataclasses import dataclass
from datetime import UTC

from django.db import connection as default_connection

TABLE = "branches_auditentry"
# The advisory lock's key on PostgreSQL: a constant the application uses for nothing else.
LOCK_KEY = 2239_2019
GENESIS = ""  # the prev_hash of the first row ever written
PENDING = "pending"  # prev_hash of a row the database has still to link (inside INSERT)

# The one UPDATE the append-only trigger lets through is the database's own ON DELETE SET
# NULL of ``actor_id`` when an account is deleted (every other column unchanged; the row
# keeps ``actor_repr``, which is hashed).
POSTGRES_SQL = f"""
CREATE OR REPLACE FUNCTION {TABLE}_chain() RETURNS trigger AS $$
DECLARE
    prev text;
BEGIN
    IF NEW.prev_hash IS DISTINCT FROM '{PENDING}' THEN
        RETURN NEW;
    END IF;
    PERFORM pg_advisory_xact_lock({LOCK_KEY});
    NEW.id := nextval(pg_get_serial_sequence('{TABLE}', 'id'));
    SELECT row_hash INTO prev FROM {TABLE} ORDER BY id DESC LIMIT 1;
    NEW.prev_hash := coalesce(prev, '{GENESIS}');
    NEW.row_hash := encode(sha256(convert_to(NEW.prev_hash || NEW.row_hash, 'UTF8')), 'hex');
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION {TABLE}_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.actor_id IS NOT NULL AND NEW.actor_id IS NULL
       AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '审计记录只能新增，不能修改或删除（拒绝 %）', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS {TABLE}_chain ON {TABLE};
CREATE TRIGGER {TABLE}_chain BEFORE INSERT ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION {TABLE}_chain();
DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE};
CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION {TABLE}_append_only();
"""
POSTGRES_DROP_SQL = f"""
DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE};
DROP TRIGGER IF EXISTS {TABLE}_chain ON {TABLE};
DROP FUNCTION IF EXISTS {TABLE}_append_only();
DROP FUNCTION IF EXISTS {TABLE}_chain();
"""
_SQLITE_PREV = (
    f"coalesce((SELECT row_hash FROM {TABLE} WHERE id < NEW.id ORDER BY id DESC LIMIT 1),"
    f" '{GENESIS}')"
)
SQLITE_SQL = [
    f"DROP TRIGGER IF EXISTS {TABLE}_chain",
    f"""CREATE TRIGGER {TABLE}_chain AFTER INSERT ON {TABLE}
    WHEN NEW.prev_hash = '{PENDING}'
BEGIN
    UPDATE {TABLE} SET prev_hash = {_SQLITE_PREV},
        row_hash = SHA256({_SQLITE_PREV} || NEW.row_hash)
    WHERE id = NEW.id;
END""",
]
SQLITE_DROP_SQL = [f"DROP TRIGGER IF EXISTS {TABLE}_chain"]
# Per database: the statements that create the triggers, and those that drop them.
SQL = {
    "postgresql": ([POSTGRES_SQL], [POSTGRES_DROP_SQL]),
    "sqlite": (SQLITE_SQL, SQLITE_DROP_SQL),
}


def install(connection=default_connection) -> None:
    """(Re)create the triggers on ``connection`` if its audit table has the chain columns
    (after every migrate: a test database is built from the models, without migrations)."""
    if connection.vendor not in SQL:
        return
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        if TABLE not in tables:
            return
        columns = {c.name for c in connection.introspection.get_table_description(cursor, TABLE)}
        if not {"prev_hash", "row_hash"} <= columns:
            return
        for statement in SQL[connection.vendor][0]:
            cursor.execute(statement)


def _ip(value) -> str | None:
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(str(value)))
    except ValueError:
        return str(value)


def canonical(row) -> bytes:
    """The row's content as hashed: every recorded fact except the id, the hashes and
    ``actor_id`` (the database nulls it when an account is deleted; ``actor_repr`` names
    the actor). ``row`` is an AuditEntry (or a historical one in a migration)."""
    body = {
        "at": row.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor": row.actor_repr,
        "source": row.source,
        "action": row.action,
        "model": row.model,
        "object_id": row.object_id,
        "object": row.object_repr,
        "changes": row.changes,
        "org_path": row.org_path,
        "ip": _ip(row.ip),
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def content_digest(row) -> str:
    return hashlib.sha256(canonical(row)).hexdigest()


def link(prev_hash: str, digest: str) -> str:
    """The row's hash: SHA-256 over the previous row's hash and its content digest (the
    triggers compute the same)."""
    return hashlib.sha256((prev_hash + digest).encode()).hexdigest()


def prepare(rows) -> None:
    """Ready unsaved rows for the INSERT: their content digest, to be linked by the
    database (see the module's docstring)."""
    for row in rows:
        row.prev_hash = PENDING
        row.row_hash = content_digest(row)


@dataclass(frozen=True)
class Break:
    """The first broken link: the row, and what is wrong with it."""

    position: int  # 1-based, in id order, among the rows walked
    row: object
    reason: str


@dataclass(frozen=True)
class Walk:
    count: int
    last_id: int | None
    last_hash: str
    broken: Break | None


def verify(model, *, start_hash: str = GENESIS, after_id: int = 0, using=None) -> Walk:
    """Walk the chain in id order from ``after_id`` (0: from the first row), expecting the
    first row to follow ``start_hash``; stop at the first row whose content does not
    match its hash (changed after it was written) or whose ``prev_hash`` is not the hash
    of the row before (a row removed, inserted or reordered)."""
    qs = model._base_manager.using(using or default_connection.alias).filter(id__gt=after_id)
    prev, count, last_id = start_hash, 0, None
    for row in qs.order_by("id").iterator(chunk_size=2000):
        count += 1
        if row.prev_hash == PENDING:
            return Walk(count, last_id, prev, Break(count, row, "未被链接：写入时数据库触发器缺失"))
        if row.prev_hash != prev:
            reason = (
                "与前一条记录的链接断开：前一条记录被删除、插入或改动过"
                if count > 1 or after_id
                else "链首不符：最早的记录之前有记录被删除"
            )
            return Walk(count, last_id, prev, Break(count, row, reason))
        if link(row.prev_hash, content_digest(row)) != row.row_hash:
            return Walk(count, last_id, prev, Break(count, row, "内容与其哈希不符：写入后被修改过"))
        prev, last_id = row.row_hash, row.id
    return Walk(count, last_id, prev, None)
