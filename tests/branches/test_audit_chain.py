"""An audit entry changed or deleted with plain SQL does not go unnoticed.
The audit trail is a hash chain linked by the database (PostgreSQL: as the
writing transaction commits; SQLite: as each row is inserted); on PostgreSQL a trigger
refuses UPDATE and DELETE; `manage.py verify_audit` names the first broken link, on
SQLite and on PostgreSQL (``DATABASE_URL``).

These tests run inside a transaction that never commits: ``audit_chain.link_now`` links
its rows as the commit would."""

import importlib
import io
import threading
import time
import types
from contextlib import contextmanager

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from branches.models import AuditEntry, User
from branches.toolkit import audit, audit_chain

POSTGRES = connection.vendor == "postgresql"
only_postgres = pytest.mark.skipif(not POSTGRES, reason="the trigger and races need PostgreSQL")


def _entry(n: int, **fields) -> AuditEntry:
    values = {
        "actor_repr": f"测试人{n}",
        "source": "web",
        "action": "update",
        "model": "组织",
        "object_id": str(n),
        "object_repr": f"第{n}党支部",
        "changes": {"name": {"label": "名称", "old": f"旧{n}", "new": f"新{n}"}},
        "org_path": "0001",
        "ip": "2001:DB8::1" if n % 2 else "10.0.0.1",
    }
    return AuditEntry(**(values | fields))


def _write_rows(count: int = 5) -> list[int]:
    """Rows written as the app writes them: one by one (save) and in bulk (bulk_create)."""
    AuditEntry.objects.create(**_fields(_entry(1)))
    AuditEntry.objects.bulk_create([_entry(n) for n in range(2, count + 1)])
    audit_chain.link_now()
    return list(AuditEntry.objects.order_by("seq").values_list("id", flat=True))


def _fields(entry: AuditEntry) -> dict:
    return {
        f.name: getattr(entry, f.name) for f in AuditEntry._meta.concrete_fields if f.name != "id"
    }


def verify(*args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    audit_chain.link_now()
    try:
        call_command("verify_audit", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    return code, out.getvalue(), err.getvalue()


@contextmanager
def trigger_disabled():
    """What a database superuser can do on PostgreSQL: run with the triggers off."""
    if not POSTGRES:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET session_replication_role")


def sql(statement: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.mark.django_db
def test_rows_written_one_by_one_and_in_bulk_are_linked_by_the_database():
    ids = _write_rows(5)
    rows = list(AuditEntry.objects.order_by("seq"))
    assert [r.id for r in rows] == ids == sorted(ids)  # one writer: seq order is id order
    assert [r.seq for r in rows] == list(range(rows[0].seq, rows[0].seq + 5))
    assert [r.prev_hash for r in rows[1:]] == [r.row_hash for r in rows[:-1]]
    assert all(len(r.row_hash) == 64 and r.prev_hash != audit_chain.PENDING for r in rows)
    code, out, err = verify()
    assert code == 0 and err == ""
    assert "审计记录哈希链完整：共核验 5 条记录" in out
    assert f"链尾：序号 {rows[-1].seq}，编号 {ids[-1]}" in out
    assert rows[-1].row_hash in out


@pytest.mark.django_db
def test_a_row_changed_by_sql_is_named_by_verify_audit():
    ids = _write_rows(5)
    with trigger_disabled():
        sql(f"UPDATE {audit_chain.TABLE} SET object_repr = %s WHERE id = %s", ["篡改后", ids[2]])
    code, out, err = verify()
    assert code == 1 and out == ""
    seqs = list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True))
    assert f"审计记录哈希链断裂：第 3 条记录（序号 {seqs[2]}，编号 {ids[2]}，" in err
    assert "对象 组织「篡改后」）内容与其哈希不符：写入后被修改过" in err
    assert f"此前 2 条完好（至序号 {seqs[1]}，编号 {ids[1]}）" in err


@pytest.mark.django_db
def test_a_changed_score_in_the_changes_is_detected():
    ids = _write_rows(3)
    changed = '{"name": {"label": "名称", "old": "旧2", "new": "改过"}}'
    with trigger_disabled():
        sql(f"UPDATE {audit_chain.TABLE} SET changes = %s WHERE id = %s", [changed, ids[1]])
    code, _, err = verify()
    assert code == 1 and f"，编号 {ids[1]}，" in err and "内容与其哈希不符" in err
    assert "第 2 条记录（序号 " in err


@pytest.mark.django_db
def test_a_row_deleted_by_sql_breaks_the_link_to_the_next():
    ids = _write_rows(5)
    with trigger_disabled():
        sql(f"DELETE FROM {audit_chain.TABLE} WHERE id = %s", [ids[1]])
    code, _, err = verify()
    assert code == 1
    assert "第 2 条记录（序号 " in err and f"，编号 {ids[2]}，" in err
    assert "与前一条记录的链接断开：前一条记录被删除、插入或改动过" in err


@pytest.mark.django_db
def test_the_first_rows_deleted_and_an_archive_to_start_from():
    ids = _write_rows(5)
    archived = AuditEntry.objects.get(id=ids[1])
    with trigger_disabled():
        sql(f"DELETE FROM {audit_chain.TABLE} WHERE seq <= %s", [archived.seq])
    code, _, err = verify()
    assert code == 1 and "链首不符：最早的记录之前有记录被删除" in err
    # Verified from the archive's last row (docs/operations.md, archiving), the rest is whole.
    code, out, _ = verify("--after-seq", str(archived.seq), "--start-hash", archived.row_hash)
    assert code == 0 and "共核验 3 条记录" in out
    code, _, err = verify("--after-seq", str(archived.seq), "--start-hash", "0" * 64)
    assert code == 1 and "与前一条记录的链接断开" in err


@pytest.mark.django_db
def test_a_row_inserted_by_sql_without_the_app_is_detected():
    ids = _write_rows(3)
    last = AuditEntry.objects.get(id=ids[-1])
    sql(
        f"INSERT INTO {audit_chain.TABLE} (at, actor_repr, source, action, model, object_id,"
        " object_repr, changes, org_path, prev_hash, row_hash)"
        " VALUES (%s, '伪造', 'web', 'update', '组织', '9', '伪造记录', '{}', '', %s, %s)",
        [last.at, last.row_hash, "f" * 64],
    )
    code, _, err = verify()
    assert code == 1 and "对象 组织「伪造记录」）内容与其哈希不符" in err


@only_postgres
@pytest.mark.django_db
def test_postgres_refuses_update_and_delete_of_audit_rows():
    ids = _write_rows(3)
    for statement in (
        f"UPDATE {audit_chain.TABLE} SET object_repr = '篡改' WHERE id = %s",
        f"DELETE FROM {audit_chain.TABLE} WHERE id = %s",
    ):
        refused = pytest.raises(DatabaseError, match="审计记录只能新增，不能修改或删除")
        with refused, transaction.atomic():
            sql(statement, [ids[0]])
    assert AuditEntry.objects.filter(object_repr="篡改").count() == 0
    assert AuditEntry.objects.count() == 3
    assert verify()[0] == 0


@only_postgres
@pytest.mark.django_db
def test_postgres_still_lets_an_account_be_deleted():
    """The one UPDATE the trigger allows: ON DELETE SET NULL of the actor (its name stays
    in actor_repr, which is what is hashed)."""
    user = User.objects.create_user(username="gone01", password="x")
    with audit.acting(user, "web"):
        audit.record(user, "update", {"x": {"label": "测试", "old": None, "new": "1"}})
    user.delete()
    assert AuditEntry.objects.filter(actor_repr__contains="gone01", actor=None).exists()
    assert verify()[0] == 0
    with pytest.raises(DatabaseError, match="审计记录只能新增"), transaction.atomic():
        sql(f"UPDATE {audit_chain.TABLE} SET actor_repr = '别人' WHERE actor_id IS NULL")


@pytest.mark.django_db
def test_the_migration_chains_rows_written_before_it():
    # Rows as they were before migration 0010: no hashes (written past the app's prepare).
    AuditEntry._base_manager.bulk_create([_entry(n, prev_hash="", row_hash="") for n in (1, 2, 3)])
    assert verify()[0] == 1
    migration = importlib.import_module("branches.migrations.0010_audit_chain")
    with trigger_disabled():
        migration.chain_existing(apps, types.SimpleNamespace(connection=connection))
    code, out, _ = verify()
    assert code == 0 and "共核验 3 条记录" in out
    AuditEntry.objects.create(**_fields(_entry(4)))  # new rows follow on
    assert "共核验 4 条记录" in verify()[1]


@only_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_do_not_fork_the_chain():
    """Eight writers at once, each writing rows one by one and in bulk inside its own
    transaction: one chain, every row on it, in commit (seq) order."""
    barrier = threading.Barrier(8)
    errors = []

    def write(k: int) -> None:
        try:
            barrier.wait(timeout=10)
            for round_ in range(5):
                with transaction.atomic():
                    AuditEntry.objects.create(**_fields(_entry(100 * k + round_)))
                    AuditEntry.objects.bulk_create(
                        [_entry(1000 * k + round_ * 10 + i) for i in range(3)]
                    )
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(k,)) for k in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    code, out, err = verify()
    assert code == 0, err
    assert "共核验 160 条记录" in out
    hashes = list(AuditEntry.objects.order_by("seq").values_list("prev_hash", flat=True))
    assert len(set(hashes)) == 160  # no two rows chained onto the same row
    seqs = list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(seqs[0], seqs[0] + 160))


@only_postgres
@pytest.mark.django_db
def test_postgres_refuses_linking_a_row_by_hand():
    """The linking UPDATE is let through from inside the chain trigger only: a row not
    yet linked (this transaction's own) cannot be given a seq and a hash by a client."""
    entry = AuditEntry.objects.create(**_fields(_entry(1)))
    assert AuditEntry.objects.get(id=entry.id).seq is None  # linked at commit
    with pytest.raises(DatabaseError, match="审计记录只能新增"), transaction.atomic():
        sql(
            f"UPDATE {audit_chain.TABLE} SET seq = 1, prev_hash = '', row_hash = %s WHERE id = %s",
            ["f" * 64, entry.id],
        )
    assert verify()[0] == 0  # linked by the trigger (here: at once, see link_now)


@only_postgres
@pytest.mark.django_db(transaction=True)
def test_a_writer_waiting_on_a_row_lock_does_not_deadlock_with_its_holder():
    """Transaction A writes an audit row, then waits for a row lock held by B; B writes an
    audit row and commits. B must not wait for A (the chain's lock is taken only while a
    transaction commits), and A then goes on. The chain is in commit order: B's row
    first, although A's row was inserted (and has its id) first."""
    user = User.objects.create_user(username="lock01", password="x")
    b_locked, a_wrote = threading.Event(), threading.Event()
    done, errors = {}, []

    def in_transaction(name: str, body) -> None:
        try:
            with transaction.atomic():
                sql("SET LOCAL lock_timeout = '10s'")
                body()
            done[name] = time.monotonic()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append((name, exc))
        finally:
            connection.close()

    def a() -> None:
        assert b_locked.wait(timeout=10)
        AuditEntry.objects.create(**_fields(_entry(1, object_repr="A")))
        a_wrote.set()
        User.objects.select_for_update().get(pk=user.pk)  # waits for B's commit

    def b() -> None:
        User.objects.select_for_update().get(pk=user.pk)
        b_locked.set()
        assert a_wrote.wait(timeout=10)
        time.sleep(0.3)  # A is now waiting for B's row lock
        AuditEntry.objects.create(**_fields(_entry(2, object_repr="B")))

    threads = [
        threading.Thread(target=in_transaction, args=(name, body))
        for name, body in (("A", a), ("B", b))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert done["B"] < done["A"]
    rows = list(AuditEntry.objects.filter(object_repr__in=["A", "B"]).order_by("seq"))
    assert [r.object_repr for r in rows] == ["B", "A"]
    assert rows[0].id > rows[1].id  # commit order, not id order
    code, out, err = verify()
    assert code == 0, err
    assert f"共核验 {AuditEntry.objects.count()} 条记录" in out
