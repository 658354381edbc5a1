"""Password rules (OWASP ASVS L2, GB/T 22239-2019 level 3), as Django password validators
listed in settings.AUTH_PASSWORD_VALIDATORS, so every path that sets a password (the
change-password page, an administrator's reset, the admin, createsuperuser) applies them:

- at least 8 characters (Django's MinimumLengthValidator) with 3 of the 4 character
  classes: upper case, lower case, digits, symbols;
- not containing the username (工号), whatever the case;
- none of the last 5 passwords, the current one included (hashes kept in
  PasswordHistory, recorded by ``record_password`` whenever a password is saved, however
  it was saved: the first password of an account made by createsuperuser too);
- optionally expiring after PASSWORD_MAX_AGE_DAYS (0: never), and always to be changed
  at the next login after an administrator set it (``change_required``; the middleware
  sends the user to the change-password page until done).
"""

import re
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import password_validation as django_rules
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils import timezone

HISTORY_SIZE = 5
CLASSES = (
    ("大写字母", re.compile(r"[A-Z]")),
    ("小写字母", re.compile(r"[a-z]")),
    ("数字", re.compile(r"[0-9]")),
    ("符号", re.compile(r"[^A-Za-z0-9]")),
)


# Django's own rules, their help texts in the product's voice (您, as every page says it;
# Django's Chinese catalogue says 你).


class SimilarityValidator(django_rules.UserAttributeSimilarityValidator):
    def get_help_text(self) -> str:
        return "不能与您的姓名、工号等个人信息过于相似。"


class MinimumLengthValidator(django_rules.MinimumLengthValidator):
    def get_help_text(self) -> str:
        return f"至少 {self.min_length} 个字符。"


class CommonPasswordValidator(django_rules.CommonPasswordValidator):
    def get_help_text(self) -> str:
        return "不能是常见密码。"


class NumericPasswordValidator(django_rules.NumericPasswordValidator):
    def get_help_text(self) -> str:
        return "不能全是数字。"


class CharacterClassesValidator:
    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password: str, user=None) -> None:
        present = sum(1 for _, pattern in CLASSES if pattern.search(password))
        if present < self.min_classes:
            raise ValidationError(
                f"密码须至少包含大写字母、小写字母、数字、符号四类中的 {self.min_classes} 类"
                f"（当前只有 {present} 类）。",
                code="password_too_simple",
            )

    def get_help_text(self) -> str:
        return f"至少包含大写字母、小写字母、数字、符号中的 {self.min_classes} 类。"


class UsernameValidator:
    def validate(self, password: str, user=None) -> None:
        username = (getattr(user, "username", "") or "").strip()
        if username and username.casefold() in password.casefold():
            raise ValidationError("密码不能包含工号（登录名）。", code="password_has_username")

    def get_help_text(self) -> str:
        return "不能包含您的工号。"


class HistoryValidator:
    """Refuses the current password and the previous ones (HISTORY_SIZE in all)."""

    def __init__(self, size: int = HISTORY_SIZE):
        self.size = size

    def _recent_hashes(self, user) -> list[str]:
        hashes = []
        if user.password and user.has_usable_password():
            hashes.append(user.password)
        if user.pk is not None:
            for encoded in user.password_history.values_list("password", flat=True)[: self.size]:
                if encoded not in hashes:
                    hashes.append(encoded)
        return hashes[: self.size]

    def validate(self, password: str, user=None) -> None:
        # Each stored hash costs a full hashing (~0.6 s here): only a password that the
        # other rules accept is compared, so a weak attempt is refused at once.
        if user is None or _refused_by_other_rules(password, user):
            return
        if any(check_password(password, encoded) for encoded in self._recent_hashes(user)):
            raise ValidationError(
                f"新密码不能与当前密码或最近 {self.size} 次使用过的密码相同。",
                code="password_reused",
            )

    def password_changed(self, password: str, user=None) -> None:
        """Called by Django after a new password is saved through ``set_password``."""
        record_password(user, size=self.size)

    def get_help_text(self) -> str:
        return f"不能与最近 {self.size} 次使用过的密码相同。"


def record_password(user, *, size: int = HISTORY_SIZE) -> None:
    """Keep the hash of the user's password in the history unless it is already the newest
    entry (``password_changed`` and the save signal may both report the same password), and
    trim the rest. Every path that stores a password comes here: ``set_password`` through
    the validator hook, and (through ``user_saved``) the paths Django's hook never sees:
    ``create_user``/``createsuperuser`` (which store ``make_password`` directly), a
    management command, a fixture."""
    from .models import PasswordHistory, User

    if user is None or user.pk is None or not user.has_usable_password():
        return
    newest = user.password_history.values_list("password", flat=True).first()
    if newest == user.password:
        return
    now = timezone.now()
    PasswordHistory.objects.create(user=user, password=user.password, created_at=now)
    stale = user.password_history.values_list("pk", flat=True)[size:]
    PasswordHistory.objects.filter(pk__in=list(stale)).delete()
    User.objects.filter(pk=user.pk).update(password_changed_at=now)
    user.password_changed_at = now


def user_saved(sender, instance, created: bool, update_fields=None, **kwargs) -> None:
    """post_save of the user model: a password stored without ``set_password``'s hook (an
    account's first password above all) still enters the history."""
    if update_fields is not None and "password" not in update_fields:
        return  # e.g. last_login at each login: the password is untouched
    record_password(instance)


def _refused_by_other_rules(password: str, user) -> bool:
    from django.contrib.auth.password_validation import get_default_password_validators

    for validator in get_default_password_validators():
        if isinstance(validator, HistoryValidator):
            continue
        try:
            validator.validate(password, user)
        except ValidationError:
            return True
    return False


def change_required(user) -> str | None:
    """Why the user must change their password before doing anything else (None: no need)."""
    if not getattr(user, "is_authenticated", False):
        return None
    if user.must_change_password:
        return "您的密码由管理员设置，请先修改为只有您本人知道的新密码，然后才能继续使用。"
    days = settings.PASSWORD_MAX_AGE_DAYS
    if days and user.password_changed_at < timezone.now() - timedelta(days=days):
        return f"您的密码已使用超过 {days} 天，按安全规定请先修改密码，然后才能继续使用。"
    return None
