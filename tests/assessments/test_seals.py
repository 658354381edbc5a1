"""Sign-off seals: HMAC-SHA256 of the content hash with a key kept outside the database
(``settings.SEAL_KEY``: DJANGO_SEAL_KEY or var/seal_key). The migration that turns the old
plain digests into seals seals only what still matches. Run on SQLite and on PostgreSQL."""

import hashlib
import hmac
import importlib
import io
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from assessments import services
from assessments.models import BranchResult, ScoreSheet, SheetEntry, SheetEvent, SheetStatus
from branches.models import AuditEntry
from branches.toolkit import seals
from tests.assessments.conftest import review_of


@pytest.fixture
def signed(make_reviewed, tree):
    return review_of(make_reviewed("seal", consolidate=False), tree.a)


def test_the_seal_is_hmac_sha256_of_the_content_hash_with_the_key(settings):
    settings.SEAL_KEY = "k" * 40
    content = hashlib.sha256(b"x").hexdigest()
    expected = hmac.new(b"k" * 40, content.encode(), hashlib.sha256).hexdigest()
    assert seals.seal(content) == expected != content
    assert seals.intact(expected, content)
    assert not seals.intact(content, content)  # the plain hash is no seal
    assert not seals.intact("", content)
    settings.SEAL_KEY = "other" * 10
    assert not seals.intact(expected, content)


def test_a_signed_sheet_stores_the_seal_never_the_plain_hash(signed):
    content = services.sheet_content_hash(signed)
    assert signed.digest == seals.seal(content) != content
    assert not services.tampered(signed)
    event = SheetEvent.objects.get(sheet=signed, to_status=SheetStatus.SIGNED)
    assert event.digest == signed.digest


def _unsealed(sheet) -> str:
    """Back to the state before the seals: the plain content hash in the digest column."""
    plain = services.sheet_content_hash(sheet)
    ScoreSheet.objects.filter(pk=sheet.pk).update(digest=plain)
    SheetEvent.objects.filter(sheet=sheet, to_status=SheetStatus.SIGNED).update(digest=plain)
    return plain


def test_the_migration_seals_matching_digests_and_leaves_failing_ones_failing(make_reviewed, tree):
    scores = {tree.a: {"1.1": "4", "1.2": "5"}, tree.b: {"1.1": "3", "1.2": "5"}}
    campaign = make_reviewed("seal-migration", scores)
    good, bad = review_of(campaign, tree.a), review_of(campaign, tree.b)
    plain_good, plain_bad = _unsealed(good), _unsealed(bad)
    BranchResult.objects.filter(source_sheet=good).update(source_digest=plain_good)
    # ``bad`` was changed after its (plain) digest: it fails before and must fail after.
    SheetEntry.objects.filter(sheet=bad, code="1.2").update(value=1)

    migration = importlib.import_module("assessments.migrations.0021_keyed_signoff_seals")
    migration.seal_signed_sheets(apps, types.SimpleNamespace(connection=connection))

    good.refresh_from_db()
    bad.refresh_from_db()
    assert good.digest == seals.seal(plain_good) and not services.tampered(good)
    assert SheetEvent.objects.get(sheet=good, to_status=SheetStatus.SIGNED).digest == good.digest
    assert BranchResult.objects.get(source_sheet=good).source_digest == good.digest
    assert bad.digest == plain_bad and services.tampered(bad)
    with pytest.raises(services.AssessmentError, match=f"（编号 {bad.pk}）"):
        services.check_signed(ScoreSheet.objects.filter(pk__in=[good.pk, bad.pk]))
    services.check_signed(ScoreSheet.objects.filter(pk=good.pk))

    # Backwards: the plain digests again, where the seal still matches.
    migration.unseal_signed_sheets(apps, types.SimpleNamespace(connection=connection))
    good.refresh_from_db()
    assert good.digest == plain_good


def _settings_key(env: dict, var_dir: Path) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.SEAL_KEY)"],
        cwd=settings.BASE_DIR,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_VAR_DIR": str(var_dir)}
        | env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_key_comes_from_the_environment_else_a_private_file_beside_the_secret_key(tmp_path):
    first = _settings_key({}, tmp_path)
    assert first.returncode == 0, first.stderr
    path = tmp_path / "seal_key"
    assert path.read_text().strip() == first.stdout.strip() and len(first.stdout.strip()) >= 50
    assert path.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "secret_key").read_text().strip() != first.stdout.strip()
    assert _settings_key({}, tmp_path).stdout == first.stdout  # created once
    from_env = _settings_key({"DJANGO_SEAL_KEY": "e" * 40}, tmp_path)
    assert from_env.stdout.strip() == "e" * 40
    short = _settings_key({"DJANGO_SEAL_KEY": "short"}, tmp_path)
    assert short.returncode != 0
    assert "DJANGO_SEAL_KEY must be at least 32 characters" in short.stderr


def _reseal(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("reseal_sheets", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_a_replaced_key_reseals_what_was_intact_under_the_old_one(
    make_reviewed, tree, tmp_path, settings
):
    scores = {tree.a: {"1.1": "4", "1.2": "5"}, tree.b: {"1.1": "3", "1.2": "5"}}
    campaign = make_reviewed("reseal", scores)
    good, bad = review_of(campaign, tree.a), review_of(campaign, tree.b)
    SheetEntry.objects.filter(sheet=bad, code="1.2").update(value=1)  # changed by SQL
    old_key = settings.SEAL_KEY
    (tmp_path / "old").write_text(old_key + "\n")
    settings.SEAL_KEY = "replacement-" + "k" * 40
    assert services.tampered(good) and services.tampered(bad)  # the new key: all red
    with pytest.raises(CommandError, match="无法读取原密钥文件"):
        _reseal("--old-key-file", str(tmp_path / "missing"))
    (tmp_path / "same").write_text(settings.SEAL_KEY)
    with pytest.raises(CommandError, match="原密钥与当前密钥相同"):
        _reseal("--old-key-file", str(tmp_path / "same"))
    out, err = _reseal("--old-key-file", str(tmp_path / "old"))
    assert "已用当前密钥重新封印 1 份已签发考评表" in out
    assert f"（编号 {bad.pk}）" in err and "未重新封印" in err
    good.refresh_from_db()
    bad.refresh_from_db()
    assert not services.tampered(good) and services.tampered(bad)
    signed = SheetEvent.objects.get(sheet=good, to_status=SheetStatus.SIGNED)
    assert (
        signed.digest == good.digest == BranchResult.objects.get(organization=tree.a).source_digest
    )
    entry = AuditEntry.objects.filter(model="考评表", object_id=str(good.pk)).latest("id")
    assert entry.source == "command" and entry.changes["digest"]["new"] == good.digest
