"""Start-up check of LDAP_GROUP_ROLES: only business roles may be proposed (三员分立: the
administrator roles are granted by a superuser, by hand)."""

from django.conf import settings
from django.core import checks

from ..models import ADMIN_ROLES, Role


@checks.register(checks.Tags.security)
def group_roles(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    for dn, target in settings.LDAP_GROUP_ROLES.items():
        role = target.split("@")[0].strip()
        if role not in Role.values or role in ADMIN_ROLES:
            allowed = ", ".join(r for r in Role.values if r not in ADMIN_ROLES)
            errors.append(
                checks.Error(
                    f"LDAP_GROUP_ROLES: {dn!r} maps to {role!r}; the role must be one of "
                    f"{allowed}.",
                    id="branches.E101",
                )
            )
    return errors
