import pytest
from django.core.management import call_command

from rubrics.models import Rubric
from rubrics.selectors import current_version, version_tree


@pytest.fixture
def rubrics(db):
    call_command("load_rubrics", verbosity=0)


def version_of(code: str, number: int | None = None):
    return version_tree(current_version(Rubric.objects.get(code=code), number).pk)
