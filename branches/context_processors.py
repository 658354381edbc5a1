from django.conf import settings

from .access import Perm, has_perm, manages_people, roles
from .directory.selectors import sign_in_buttons
from .models import ADMIN_ROLES, Role
from .second_factor.selectors import requires_second_factor


def navigation(request):
    user = request.user
    if not user.is_authenticated:
        return {
            "sign_in_buttons": sign_in_buttons(),
            "directory_sign_in": settings.LDAP_ENABLED,
        }
    my_roles = roles(user)
    role_labels = [label for value, label in Role.choices if value in my_roles]
    if user.is_superuser:
        role_labels.insert(0, "超级管理员")
    # No menu before the second factor (the middleware refuses its pages anyway).
    if requires_second_factor(user) and not getattr(user, "is_verified", lambda: True)():
        return {"role_labels": role_labels}
    return {
        "nav": {
            "tree": has_perm(user, Perm.VIEW_ORG),
            # Cross-review groups concern the department, reviewers and leaders.
            "groups": user.is_superuser
            or bool(my_roles & {Role.DEPT_ADMIN, Role.REVIEWER, Role.LEADER}),
            "manage_org": has_perm(user, Perm.MANAGE_ORG),
            # 三员分立: the system administrator and the auditor have no rectifications.
            "rectifications": user.is_superuser or bool(my_roles - ADMIN_ROLES),
            "terms": has_perm(user, Perm.VIEW_TERMS),
            "people": manages_people(user),
            "second_factor": has_perm(user, Perm.GRANT_ROLES),
            # Service-account tokens for other systems: the 安全管理员 issues them, the
            # 审计员 reads them and their uses.
            "api_tokens": has_perm(user, Perm.GRANT_ROLES) or has_perm(user, Perm.VIEW_AUDIT),
            "audit": has_perm(user, Perm.VIEW_AUDIT),
            # The document register (发文登记簿): the department and the auditor.
            "documents": has_perm(user, Perm.MANAGE_CAMPAIGNS) or has_perm(user, Perm.VIEW_AUDIT),
            "campaigns": has_perm(user, Perm.VIEW_RESULTS),
            # The campaign list: also a 考评员's, listing the campaigns they review in.
            "campaign_list": has_perm(user, Perm.VIEW_RESULTS) or Role.REVIEWER in my_roles,
        },
        "role_labels": role_labels,
    }
