"""Print the current second-factor code of a demo login (its device is the demo's)."""

import json
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from branches.models import User
from branches.second_factor import selectors

DEMO_FILE = settings.BASE_DIR / "fixtures" / "demo.json"


class Command(BaseCommand):
    help = (
        "Print the code a demo login (e.g. dq01) types after its password. Only for the "
        "demo's accounts, whose device load_demo made; never under DJANGO_SECURE=1."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username: str, **options):
        if settings.SECURE:
            raise CommandError("otp_code is a demo aid and is refused under DJANGO_SECURE=1.")
        demo_logins = {u["username"] for u in json.loads(DEMO_FILE.read_text())["users"]}
        user = User.objects.filter(username=username[:150]).first()
        device = selectors.totp_device(user) if user and username in demo_logins else None
        if device is None or device.name != selectors.DEMO_DEVICE_NAME:
            raise CommandError(
                f"{username[:150]!r} is not a demo login with the demo's device: real "
                "accounts read their code from their own authenticator app."
            )
        left = device.step - int(time.time() - device.t0) % device.step
        self.stdout.write(selectors.current_code(device))
        if options["verbosity"] > 1:
            self.stdout.write(f"valid for about {left} more seconds")
