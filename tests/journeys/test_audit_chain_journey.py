"""The audit trail's hash chain, through the pages: everything the demo load and a
secretary's autosave write to the audit trail (in bulk and one by one) is on the hash
chain that `manage.py verify_audit` checks."""

import io

from django.core.management import call_command

from branches.models import AuditEntry
from branches.toolkit import audit_chain

from .pages import login, my_sheets, open_page


def test_the_demo_and_a_secretarys_autosave_keep_the_chain_whole(demo, client):
    """Everything the demo load and a page save write (bulk and one by one) is on the chain."""
    login(client, "sj01")
    [(url, _)] = my_sheets(client, "自查")
    form = open_page(client, url).form(action="/submit/")
    response = client.post(
        form.attrs["hx-post"],
        {"revision": form.fields["revision"], "v_1.1": "0", "n_1.1": "党员名册未更新"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    audit_chain.link_now()  # as the commit does (the test's transaction never commits)
    last = AuditEntry.objects.order_by("-seq").first()
    assert last.model == "考评表" and "党员名册未更新" in str(last.changes)
    out = io.StringIO()
    call_command("verify_audit", stdout=out)  # exits non-zero on a broken link
    assert "审计记录哈希链完整" in out.getvalue()
    assert f"链尾：序号 {last.seq}，编号 {last.id}，哈希 {last.row_hash}" in out.getvalue()
