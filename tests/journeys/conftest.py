"""Journeys: one campaign per source document, driven only through the pages.

The fixture loads what `make run` loads (the shipped rubrics and the demo), once for all
the journeys (each runs in a savepoint rolled back after it, on its own copy of the demo's
files); after that a test only logs in, opens pages, posts the forms they show and reads
what comes back."""

import pytest
from django.core.management import call_command

from tests.conftest import copy_media, shared_data


@pytest.fixture(scope="package")
def demo_data(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("demo_media")
    with shared_data("demo_data", django_db_blocker, media):
        call_command("load_rubrics", verbosity=0)
        call_command("load_demo", verbosity=0)
        yield media


@pytest.fixture
def demo(demo_data, db, settings):
    copy_media(demo_data, settings.MEDIA_ROOT)


@pytest.fixture
def client(client, demo):
    return client
