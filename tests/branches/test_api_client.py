"""Another system's view of the API: a client GENERATED from the schema the running server
serves (openapi-python-client, into a temporary directory, then imported) syncs a tree of
1,000 branches into a live server twice; the second run changes nothing — the same rows,
the same timestamps, not one more audit entry."""

import importlib
import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from branches.api import services
from branches.models import AuditEntry, Organization, TokenScope
from tests.conftest import make_person, make_tree

GENERATOR = Path(sys.executable).with_name("openapi-python-client")
PACKAGE = "kaoping_api_client"
GENERAL_BRANCHES = 10
BRANCHES_EACH = 100  # 1,000 branches under 10 党总支


def _generate(schema: dict, into: Path) -> None:
    """The client package, as a developer of the other system would make it."""
    (into / "schema.json").write_text(json.dumps(schema), encoding="utf-8")
    (into / "config.yaml").write_text(
        f"project_name_override: {PACKAGE}\npackage_name_override: {PACKAGE}\npost_hooks: []\n",
        encoding="utf-8",
    )
    subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(into / "schema.json"),
            "--meta",
            "none",
            "--output-path",
            str(into / PACKAGE),
            "--config",
            str(into / "config.yaml"),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )


@pytest.fixture
def generated(tmp_path):
    """Import the generated package from ``tmp_path``, and forget it afterwards."""
    sys.path.insert(0, str(tmp_path))
    yield tmp_path
    sys.path.remove(str(tmp_path))
    for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
        del sys.modules[name]


def _payload() -> list[dict]:
    """The tree as HR sends it: children listed before their parents (the import puts
    parents first), 10 党总支 under 一公司党委 and 100 党支部 under each."""
    rows = []
    for g in range(GENERAL_BRANCHES):
        rows += [
            {
                "code": f"HR{g:02d}{b:03d}",
                "name": f"第{g}总支第{b}支部",
                "kind": "branch",
                "parent_code": f"HR{g:02d}",
            }
            for b in range(BRANCHES_EACH)
        ]
        rows.append(
            {
                "code": f"HR{g:02d}",
                "name": f"第{g}党总支",
                "kind": "general_branch",
                "parent_code": "E1",
            }
        )
    return rows


def _snapshot() -> list[dict]:
    return list(Organization.objects.order_by("pk").values())


@pytest.mark.skipif(not GENERATOR.exists(), reason="openapi-python-client is not installed")
def test_a_generated_client_syncs_a_thousand_branches_twice(live_server, generated):
    tree = make_tree()
    security = make_person(tree, "security_admin")
    _, key = services.create_token(
        by=security, name="人力资源系统", organization=tree.root, scope=TokenScope.SYNC
    )
    schema = httpx.get(
        f"{live_server.url}/api/schema/?format=json",
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    )
    assert schema.status_code == 200
    _generate(schema.json(), generated)

    client_module = importlib.import_module(PACKAGE)
    sync = importlib.import_module(f"{PACKAGE}.api.v1.organizations_sync")
    listing = importlib.import_module(f"{PACKAGE}.api.v1.organizations_list")
    models = importlib.import_module(f"{PACKAGE}.models")
    client = client_module.AuthenticatedClient(
        base_url=live_server.url, token=key, timeout=httpx.Timeout(120)
    )
    body = models.OrganizationSyncRequest.from_dict({"organizations": _payload()})
    total = GENERAL_BRANCHES * (BRANCHES_EACH + 1)

    first = sync.sync(client=client, body=body)
    assert isinstance(first, models.SyncReport), first
    assert first.ok and first.errors == []
    assert (first.counts.new, first.counts.update, first.counts.skip) == (total, 0, 0)
    branches = Organization.objects.filter(code__startswith="HR", kind="branch")
    assert branches.count() == 1000
    one = branches.select_related("parent", "enterprise").get(code="HR07042")
    assert (one.parent.code, one.enterprise.code, one.depth) == ("HR07", "E1", 3)
    assert AuditEntry.objects.filter(source="api", action="create").count() == total

    stored, entries = _snapshot(), AuditEntry.objects.count()
    second = sync.sync(client=client, body=body)
    assert isinstance(second, models.SyncReport), second
    assert (second.counts.new, second.counts.update, second.counts.skip) == (0, 0, total)
    assert _snapshot() == stored  # nothing written: not even updated_at moved
    assert AuditEntry.objects.count() == entries

    # Read back through the same client, a page of the synced subtree.
    page = listing.sync(client=client, under="HR03", page_size=500)
    assert isinstance(page, models.PaginatedOrganizationList), page
    assert page.count == BRANCHES_EACH + 1
    assert page.results[0].code == "HR03" and page.results[1].parent_code == "HR03"
