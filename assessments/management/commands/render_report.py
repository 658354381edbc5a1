"""Render a report to a file, for operators.

python manage.py render_report branch SHEET_ID --output report.pdf
python manage.py render_report summary CAMPAIGN_ID --output summary.pdf
python manage.py render_report evaluation CAMPAIGN_ID --output evaluation.pdf
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from assessments import reports
from assessments.models import Campaign, ScoreSheet


class Command(BaseCommand):
    help = "Render a branch report (by sheet id) or a campaign summary/evaluation to a PDF."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=["branch", "summary", "evaluation"])
        parser.add_argument("id", type=int)
        parser.add_argument("--output", required=True)

    def handle(self, kind, id, output, **options):
        if kind == "branch":
            sheet = ScoreSheet.objects.filter(pk=id).first()
            if sheet is None:
                raise CommandError(f"没有编号为 {id} 的考评表", returncode=2)
            content = reports.branch_report(sheet)
        else:
            campaign = Campaign.objects.filter(pk=id).first()
            if campaign is None:
                raise CommandError(f"没有编号为 {id} 的考评活动", returncode=2)
            content = reports.render_summary(campaign, kind=kind)
        Path(output).write_bytes(content)
        if options["verbosity"] >= 1:
            self.stdout.write(f"{output}: {len(content):,} bytes")
