from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .forms import AdminCreateUserForm, AdminSetPasswordForm
from .models import (
    AuditEntry,
    CrossReviewGroup,
    CrossReviewGroupMember,
    ImportJob,
    Membership,
    Organization,
    User,
)
from .services import place_subtree


def _superuser_only(request) -> bool:
    """三员分立: the admin edits every model, is_superuser and the administrator roles
    included, so only a superuser opens it; a staff flag with model permissions is not
    enough (else a 系统管理员 who reset such an account's password could escalate)."""
    return request.user.is_active and request.user.is_superuser


# The default site's check replaced (type checkers see a method assigned).
admin.site.has_permission = _superuser_only  # type: ignore[method-assign]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["organization"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "name", "email", "is_active", "is_staff", "last_login"]
    search_fields = ["username", "name", "email"]
    ordering = ["username"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("个人信息", {"fields": ["name", "email", "phone"]}),
        ("权限", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        ("密码", {"fields": ["must_change_password", "password_changed_at"]}),
        ("时间", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"fields": ["username", "name", "password1", "password2"]})]
    readonly_fields = ["password_changed_at"]
    add_form = AdminCreateUserForm
    change_password_form = AdminSetPasswordForm
    inlines = [MembershipInline]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "parent", "full_members", "category", "term_end"]
    list_filter = ["kind", "category", "weak_and_lax", "is_joint"]
    search_fields = ["code", "name", "secretary_name"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["enterprise", "path", "depth"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        place_subtree(obj)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__name", "organization__name", "organization__code"]
    autocomplete_fields = ["user", "organization"]


class CrossReviewGroupMemberInline(admin.TabularInline):
    model = CrossReviewGroupMember
    extra = 0
    autocomplete_fields = ["enterprise"]


@admin.register(CrossReviewGroup)
class CrossReviewGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "owner"]
    inlines = [CrossReviewGroupMemberInline]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "actor_repr", "source", "ip", "action", "model", "object_repr"]
    list_filter = ["action", "model", "source"]
    search_fields = ["object_repr", "actor_repr"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind_label", "filename", "status", "created_by"]
    list_filter = ["kind", "status"]
    exclude = ["content"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
