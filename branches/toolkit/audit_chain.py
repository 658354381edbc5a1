"""The audit trail as a hash chain (GB/T 22239-2019 level 3: audit records protected from
unexpected deletion, modification or overwriting).

Each AuditEntry carries ``seq`` (its position on the chain: 1, 2, 3 … in the order the
rows were linked), ``prev_hash`` (the ``row_hash`` of the row before it, by seq) and
``row_hash`` = SHA-256(prev_hash + content digest), the content digest being SHA-256 over
the row's canonical content (``canonical``). The application computes the content digest
(``prepare``, from AuditEntry.save and its queryset's bulk_create) and marks the row
``PENDING``; the database links it onto the chain without a statement from the
application (the autosave pins), and two writers cannot fork the chain:

- PostgreSQL: a constraint trigger, AFTER INSERT … DEFERRABLE INITIALLY DEFERRED, links
  the transaction's rows as it commits: it takes a transaction-level advisory lock,
  gives the row the next seq and the previous row's hash, and UPDATEs it. The lock is
  therefore held only while a transaction commits, not from its first audit row on
  (writers do not queue behind each other's open transactions, and a transaction that
  wrote an audit row and then waits for a row lock cannot deadlock with the holder of
  that lock writing an audit row). Chain order is commit order; a row not yet linked is
  seen by its own transaction only. A second trigger refuses UPDATE and DELETE (the
  table is append-only) but for that linking UPDATE, made from inside the chain trigger.
- SQLite: an AFTER INSERT trigger links the row as it is inserted (Django registers
  SHA256() on its connections; writes are serialized by the database's write lock).

The triggers come with migration branches 0010_audit_chain, and ``install`` puts them
back after every migrate (test databases are built without migrations).
``manage.py verify_audit`` walks the chain by seq and names the first broken link.
"""

import hashlib
import ipaddress
import json
from dataclasses import dataclass
from datetime import UTC

from django.db import connection as default_connection
from django.db import models

TABLE = "branches_auditentry"
CHECKPOINTS = "branches_auditcheckpoint"
# The transaction-local setting `manage.py archive_audit --delete` turns on to remove the
# entries it archived (PostgreSQL's append-only trigger admits those DELETEs then only).
ARCHIVE_SETTING = "kaoping.audit_archive"
# The advisory lock's key on PostgreSQL: a constant the application uses for nothing else.
LOCK_KEY = 2239_2019
GENESIS = ""  # the prev_hash of the first row ever written
PENDING = "pending"  # prev_hash of a row the database has still to link
CHAIN_TRIGGER = f"{TABLE}_chain"

# Rows are linked when inserted with no seq (whatever prev_hash / row_hash the INSERT
# gave: row_hash is taken for the content digest). The chain trigger runs at commit
# (deferred), so it reads the last linked row with a fresh snapshot under the lock (READ
# COMMITTED, Django's default), and links only a row still unlinked. In a REPEATABLE READ
# or SERIALIZABLE transaction the snapshot may miss a row linked since it began: the
# unique index on seq then fails that commit rather than let the chain fork.
#
# The lock is taken by the transaction's first chain event and kept to the end of the
# commit, so the deferred events queued after it (Django's foreign-key checks of rows
# written after the first audit row) run under it. Such a check waits if another
# transaction holds the referenced row FOR UPDATE (select_for_update, DELETE); if that
# one then commits audit rows, PostgreSQL reports a deadlock and aborts one of the two.
# Writers that lock a row before writing rows that refer to it (the sheet saves) do not
# meet this; the lock taken at the first audit INSERT met it in every such case.
#
# The append-only trigger lets two UPDATEs through: the chain trigger's own linking of
# an unlinked row (seq from NULL to a value, only seq / prev_hash / row_hash changed,
# issued from inside a trigger), and the database's ON DELETE SET NULL of ``actor_id``
# when an account is deleted (every other column unchanged; the row keeps
# ``actor_repr``, which is hashed). It admits one DELETE: of an entry on the chain at or
# before the newest archive checkpoint (AuditCheckpoint, written in the same transaction
# by `manage.py archive_audit --delete`) while that command's transaction-local setting
# is on. Everything else is refused. (Anyone who can set the setting can write the
# checkpoint too: this keeps the application and a slip of hand out, not a database
# superuser; the chain and the hashes kept outside the database catch that.)
POSTGRES_SQL = f"""
CREATE OR REPLACE FUNCTION {TABLE}_chain() RETURNS trigger AS $$
DECLARE
    last_seq bigint;
    last_hash text;
BEGIN
    PERFORM pg_advisory_xact_lock({LOCK_KEY});
    SELECT seq, row_hash INTO last_seq, last_hash FROM {TABLE}
        WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1;
    last_hash := coalesce(last_hash, '{GENESIS}');
    UPDATE {TABLE} SET seq = coalesce(last_seq, 0) + 1, prev_hash = last_hash,
        row_hash = encode(sha256(convert_to(last_hash || row_hash, 'UTF8')), 'hex')
        WHERE id = NEW.id AND seq IS NULL;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION {TABLE}_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND NEW.seq IS NOT NULL
       AND pg_trigger_depth() > 1
       AND (to_jsonb(NEW) - 'seq' - 'prev_hash' - 'row_hash')
           = (to_jsonb(OLD) - 'seq' - 'prev_hash' - 'row_hash') THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.actor_id IS NOT NULL AND NEW.actor_id IS NULL
       AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'DELETE' AND OLD.seq IS NOT NULL
       AND coalesce(current_setting('{ARCHIVE_SETTING}', true), '') = 'on' THEN
        IF OLD.seq <= (SELECT max(through_seq) FROM {CHECKPOINTS}) THEN
            RETURN OLD;
        END IF;
    END IF;
    RAISE EXCEPTION '审计记录只能新增，不能修改或删除（拒绝 %）', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION {CHECKPOINTS}_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '审计记录归档点只能新增，不能修改或删除（拒绝 %）', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS {CHAIN_TRIGGER} ON {TABLE};
CREATE CONSTRAINT TRIGGER {CHAIN_TRIGGER} AFTER INSERT ON {TABLE}
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.seq IS NULL) EXECUTE FUNCTION {TABLE}_chain();
DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE};
CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION {TABLE}_append_only();
"""
# The checkpoints' own trigger (they are append-only too), once their table exists.
POSTGRES_CHECKPOINT_SQL = f"""
DROP TRIGGER IF EXISTS {CHECKPOINTS}_append_only ON {CHECKPOINTS};
CREATE TRIGGER {CHECKPOINTS}_append_only BEFORE UPDATE OR DELETE ON {CHECKPOINTS}
    FOR EACH ROW EXECUTE FUNCTION {CHECKPOINTS}_append_only();
"""
POSTGRES_DROP_SQL = f"""
DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE};
DROP TRIGGER IF EXISTS {CHAIN_TRIGGER} ON {TABLE};
DROP FUNCTION IF EXISTS {TABLE}_append_only();
DROP FUNCTION IF EXISTS {TABLE}_chain();
DROP FUNCTION IF EXISTS {CHECKPOINTS}_append_only();
"""
_SQLITE_LAST = f"(SELECT {{}} FROM {TABLE} WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1)"
_SQLITE_PREV = f"coalesce({_SQLITE_LAST.format('row_hash')}, '{GENESIS}')"
SQLITE_SQL = [
    f"DROP TRIGGER IF EXISTS {CHAIN_TRIGGER}",
    f"""CREATE TRIGGER {CHAIN_TRIGGER} AFTER INSERT ON {TABLE}
    WHEN NEW.seq IS NULL
BEGIN
    UPDATE {TABLE} SET seq = coalesce({_SQLITE_LAST.format("seq")}, 0) + 1,
        prev_hash = {_SQLITE_PREV},
        row_hash = SHA256({_SQLITE_PREV} || NEW.row_hash)
    WHERE id = NEW.id;
END""",
]
SQLITE_DROP_SQL = [f"DROP TRIGGER IF EXISTS {CHAIN_TRIGGER}"]
# Per database: the statements that create the triggers, and those that drop them.
SQL = {
    "postgresql": ([POSTGRES_SQL], [POSTGRES_DROP_SQL]),
    "sqlite": (SQLITE_SQL, SQLITE_DROP_SQL),
}


def link_now(connection=default_connection) -> None:
    """Link the rows this transaction has written now rather than at its commit
    (PostgreSQL: the deferred chain trigger fires at once, and for the transaction's
    later rows as each is inserted). For tests, which run inside a transaction that
    never commits; SQLite links on insert anyway."""
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute(f"SET CONSTRAINTS {CHAIN_TRIGGER} IMMEDIATE")


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
        if not {"seq", "prev_hash", "row_hash"} <= columns:
            return
        for statement in SQL[connection.vendor][0]:
            cursor.execute(statement)
        if connection.vendor == "postgresql" and CHECKPOINTS in tables:
            cursor.execute(POSTGRES_CHECKPOINT_SQL)


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
        row.seq = None
        row.prev_hash = PENDING
        row.row_hash = content_digest(row)


@dataclass(frozen=True)
class Break:
    """The first broken link: the row, and what is wrong with it."""

    position: int  # 1-based, in chain (seq) order, among the rows walked
    row: object
    reason: str


@dataclass(frozen=True)
class Walk:
    count: int
    last_seq: int | None
    last_id: int | None
    last_hash: str
    broken: Break | None


def verify(model, *, start_hash: str = GENESIS, after_seq: int = 0, using=None) -> Walk:
    """Walk the chain in seq order from ``after_seq`` (0: from the first row), expecting
    the first row to follow ``start_hash``; stop at the first row whose content does not
    match its hash (changed after it was written), whose ``prev_hash`` is not the hash of
    the row before (a row removed, inserted or reordered), or that is not on the chain
    (no seq: written with the trigger missing; such rows come last)."""
    qs = model._base_manager.using(using or default_connection.alias).filter(
        models.Q(seq__gt=after_seq) | models.Q(seq=None)
    )
    prev, count, last_seq, last_id = start_hash, 0, None, None
    rows = qs.order_by(models.F("seq").asc(nulls_last=True), "id").iterator(chunk_size=2000)
    for row in rows:
        count += 1
        if row.seq is None or row.prev_hash == PENDING:
            reason = "未被链接：写入时数据库触发器缺失"
            return Walk(count, last_seq, last_id, prev, Break(count, row, reason))
        if row.prev_hash != prev:
            reason = (
                "与前一条记录的链接断开：前一条记录被删除、插入或改动过"
                if count > 1 or after_seq
                else "链首不符：最早的记录之前有记录被删除"
            )
            return Walk(count, last_seq, last_id, prev, Break(count, row, reason))
        if link(row.prev_hash, content_digest(row)) != row.row_hash:
            reason = "内容与其哈希不符：写入后被修改过"
            return Walk(count, last_seq, last_id, prev, Break(count, row, reason))
        prev, last_seq, last_id = row.row_hash, row.seq, row.id
    return Walk(count, last_seq, last_id, prev, None)
