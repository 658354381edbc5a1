"""Journeys: one campaign per source document, driven only through the pages.

The fixture loads what `make run` loads (the shipped rubrics and the demo); after that a
test only logs in, opens pages, posts the forms they show and reads what comes back."""

import pytest
from django.core.management import call_command


@pytest.fixture
def demo(db):
    call_command("load_rubrics", verbosity=0)
    call_command("load_demo", verbosity=0)


@pytest.fixture
def client(client, demo):
    return client
