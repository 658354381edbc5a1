"""The second factor (TOTP with recovery codes, django-otp) for the privileged roles.

After the password, a user who ``requires_second_factor`` is sent to enter a code from
their authenticator app (or a one-time recovery code), or, without a device yet, to
enrol one; the middleware lets them reach nothing else. The 安全管理员 resets a
person's devices (they enrol again at their next login).
"""
