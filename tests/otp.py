"""Real second-factor codes for tests: what an authenticator app holding the device's key
shows (django_otp.oath), and proving the second factor through the real verify page."""

import re
import time
from base64 import b32decode
from html import unescape

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from branches.models import User
from branches.second_factor import selectors

VERIFY = "/accounts/second-factor/verify/"
ENROL = "/accounts/second-factor/enrol/"
RECOVERY_CODES = "/accounts/second-factor/recovery-codes/"
_SECRET = re.compile(r'id="enrol-secret">([A-Z2-7 ]+)<')


def code_for(user: User | str) -> str:
    """The code the user's enrolled authenticator shows now: the device's key read back
    (as the phone holds it), the next time step the device has not used yet (a code is
    good once, so two logins within 30 seconds type the next step's code, which the
    device's tolerance of one step accepts)."""
    if isinstance(user, str):
        user = User.objects.get(username=user)
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    now = totp.t()
    totp.drift += max(now, device.last_t + 1) - now
    return str(totp.token()).zfill(device.digits)


def code_from_secret(secret: str) -> str:
    """The code an app shows now for a key typed in by hand (the enrolment page's text)."""
    key = b32decode(secret.replace(" ", ""))
    totp = TOTP(key)
    totp.time = time.time()
    return str(totp.token()).zfill(6)


def secret_on_page(html: str) -> str:
    match = _SECRET.search(unescape(html))
    assert match, "the enrolment page shows no secret"
    return match.group(1)


def enrolled_device(user: User) -> TOTPDevice:
    """A test's stand-in for a phone enrolled earlier: the user's confirmed device, made
    (with its key as the only secret) when the user has none yet."""
    device = selectors.totp_device(user)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="测试手机", confirmed=True)
    return device


def prove(client, user: User) -> None:
    """Pass the second factor in ``client``'s session through the real verify page."""
    enrolled_device(user)
    response = client.post(VERIFY, {"token": code_for(user)})
    assert response.status_code == 302 and not response.url.startswith(VERIFY), (
        f"second factor of {user.username} refused"
    )
