"""Prepare the provider's database: its tables, its people and the app registered as a
client. Run by the tests as ``python -m tests.sso.oidc_provider.setup`` with the
provider's environment and PROVIDER_SETUP (JSON: client_id, client_secret, redirect_uri,
post_logout_redirect_uri, people: [[username, password, 工号], ...])."""

import json
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.sso.oidc_provider.settings")
django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from oauth2_provider.models import Application  # noqa: E402

setup = json.loads(os.environ["PROVIDER_SETUP"])
call_command("migrate", verbosity=0)
for username, password, number in setup["people"]:
    User.objects.create_user(username=username, password=password, last_name=number)
Application.objects.create(
    name="党支部标准化考评",
    client_id=setup["client_id"],
    client_secret=setup["client_secret"],
    client_type=Application.CLIENT_CONFIDENTIAL,
    authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
    redirect_uris=setup["redirect_uri"],
    post_logout_redirect_uris=setup["post_logout_redirect_uri"],
    algorithm=Application.RS256_ALGORITHM,
    skip_authorization=True,
)
