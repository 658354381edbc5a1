"""Prepare the CAS server's database: its tables, its people (the 工号 kept as the
account's last_name) and the app as an allowed service whose CAS user id is that 工号.
Run as ``python -m tests.sso.cas_server.setup`` with PROVIDER_SETUP (JSON: service_pattern,
people: [[username, password, 工号], ...])."""

import json
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.sso.cas_server.settings")
django.setup()

from cas_server.models import ServicePattern  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402

setup = json.loads(os.environ["PROVIDER_SETUP"])
call_command("migrate", verbosity=0)
for username, password, number in setup["people"]:
    User.objects.create_user(username=username, password=password, last_name=number)
ServicePattern.objects.create(
    pos=0, name="kaoping", pattern=setup["service_pattern"], user_field="last_name"
)
