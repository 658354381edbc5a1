import pytest
from django.core.management import call_command

from rubrics.models import Rubric
from rubrics.selectors import current_version, version_tree
from tests.conftest import shared_data


@pytest.fixture(scope="module")
def rubrics_data(django_db_setup, django_db_blocker, tmp_path_factory):
    with shared_data("rubrics_data", django_db_blocker, tmp_path_factory.mktemp("media")):
        call_command("load_rubrics", verbosity=0)
        yield


@pytest.fixture
def rubrics(rubrics_data, db):
    """The shipped rubrics, loaded once per module; a test's changes are rolled back."""


def version_of(code: str, number: int | None = None):
    return version_tree(current_version(Rubric.objects.get(code=code), number).pk)
