import sys

from django.core.management.base import BaseCommand, CommandError

from rubrics.models import Rubric
from rubrics.selectors import current_version, version_tree


class Refused(CommandError):
    """Exit status 2 with a Chinese message on stderr and nothing on stdout."""

    def __init__(self, message: str):
        super().__init__(message, returncode=2)


class RubricCommand(BaseCommand):
    """Refusals print only their Chinese message on stderr and exit with status 2."""

    def execute(self, *args, **options):
        try:
            return super().execute(*args, **options)
        except Refused as exc:
            self.stderr.write(str(exc))
            sys.exit(2)


def load_version(code: str, number: int | None):
    rubric = Rubric.objects.filter(code=code).first()
    if rubric is None:
        raise Refused(
            f"没有编码为“{code}”的考评标准（可用：{
                '、'.join(Rubric.objects.values_list('code', flat=True))
                or '无，请先运行 load_rubrics'
            }）"
        )
    version = current_version(rubric, number)
    if version is None:
        raise Refused(f"考评标准“{code}”没有第 {number} 版")
    return version_tree(version.pk)


def add_version_option(parser) -> None:
    """`--version N` picks a rubric version (replacing Django's --version, which prints
    Django's own version)."""
    parser.conflict_handler = "resolve"
    parser._optionals.conflict_handler = "resolve"
    parser.add_argument(
        "--version",
        type=int,
        dest="number",
        metavar="N",
        help="version number (default: newest published, else newest draft)",
    )


def write_json(stdout, data) -> None:
    import json

    stdout.write(json.dumps(data, ensure_ascii=False, indent=2))


__all__ = ["Refused", "RubricCommand", "add_version_option", "load_version", "write_json"]
