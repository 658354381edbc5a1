"""The 结对提升责任书 as a PDF laid out like the attachment of 001, with signature lines."""

from ..models import Pairing
from ..pdf import render_pdf


def agreement(pairing: Pairing) -> bytes:
    targets = [t.strip() for t in pairing.targets.splitlines() if t.strip()]
    return render_pdf(
        "reports/pairing_agreement.html",
        {"p": pairing, "targets": targets, "supervisor": f"{pairing.supervisor.name}党群部"},
    )
