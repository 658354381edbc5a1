from django.core.management.base import BaseCommand

from branches.toolkit import audit
from rubrics.services import load_shipped_rubrics


class Command(BaseCommand):
    help = "Load the shipped rubrics from fixtures/rubrics/ (idempotent)."

    def handle(self, *args, **options):
        with audit.acting(None, "command"):
            results = load_shipped_rubrics()
        if options["verbosity"] < 1:
            return
        for version, created in results:
            state = "loaded" if created else "already present"
            self.stdout.write(
                f"{version.rubric.code} v{version.number} ({version.get_status_display()}): {state}"
            )
