from .access import Perm, has_perm, roles
from .models import Role


def navigation(request):
    user = request.user
    if not user.is_authenticated:
        return {}
    role_labels = [label for value, label in Role.choices if value in roles(user)]
    if user.is_superuser:
        role_labels.insert(0, "超级管理员")
    return {
        "nav": {
            "tree": has_perm(user, Perm.VIEW_ORG),
            "manage_org": has_perm(user, Perm.MANAGE_ORG),
            "terms": has_perm(user, Perm.VIEW_TERMS),
            "people": has_perm(user, Perm.MANAGE_PEOPLE),
            "audit": has_perm(user, Perm.VIEW_AUDIT),
        },
        "role_labels": role_labels,
    }
