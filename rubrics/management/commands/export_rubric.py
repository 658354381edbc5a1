from rubrics.management.commands._common import (
    RubricCommand,
    add_version_option,
    load_version,
    write_json,
)
from rubrics.serialization import export_document


class Command(RubricCommand):
    help = "Print a rubric version (default: the newest published) as JSON."

    def add_arguments(self, parser):
        parser.add_argument("code")
        add_version_option(parser)
        parser.add_argument("--format", choices=["json"], default="json")

    def handle(self, code, number=None, **options):
        write_json(self.stdout, export_document(load_version(code, number)))
