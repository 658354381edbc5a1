"""Rubric administration. Drafts are editable here; published and retired versions are
shown read-only (and the models refuse changes by any other path too)."""

from django.contrib import admin

from .models import (
    CustomSlotText,
    GradeBand,
    Indicator,
    IndicatorPart,
    Rubric,
    RubricVersion,
    Section,
    VersionStatus,
)


class DraftOnlyMixin:
    """Change and delete only while the version is a draft."""

    version_lookup = "version"

    def _version(self, obj):
        for attr in self.version_lookup.split("__"):
            obj = getattr(obj, attr)
        return obj

    def _frozen(self, obj) -> bool:
        return obj is not None and self._version(obj).status != VersionStatus.DRAFT

    def has_change_permission(self, request, obj=None):
        return not self._frozen(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._frozen(obj) and super().has_delete_permission(request, obj)


class FrozenInlineMixin:
    def has_add_permission(self, request, obj=None):
        return (obj is None or obj.status == VersionStatus.DRAFT) and super().has_add_permission(
            request, obj
        )

    def has_change_permission(self, request, obj=None):
        return (obj is None or obj.status == VersionStatus.DRAFT) and super().has_change_permission(
            request, obj
        )

    def has_delete_permission(self, request, obj=None):
        return (obj is None or obj.status == VersionStatus.DRAFT) and super().has_delete_permission(
            request, obj
        )


@admin.register(Rubric)
class RubricAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "issuer", "period"]
    search_fields = ["code", "name"]


class GradeBandInline(FrozenInlineMixin, admin.TabularInline):
    model = GradeBand
    extra = 0


class SectionInline(FrozenInlineMixin, admin.TabularInline):
    model = Section
    extra = 0
    fields = ["position", "code", "title", "points", "slogan"]


@admin.register(RubricVersion)
class RubricVersionAdmin(admin.ModelAdmin):
    list_display = ["rubric", "number", "status", "method", "published_at", "published_by"]
    list_filter = ["status", "method"]
    readonly_fields = ["status", "published_at", "published_by", "copied_from"]
    inlines = [SectionInline, GradeBandInline]

    def has_change_permission(self, request, obj=None):
        frozen = obj is not None and obj.status != VersionStatus.DRAFT
        return not frozen and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        frozen = obj is not None and obj.status != VersionStatus.DRAFT
        return not frozen and super().has_delete_permission(request, obj)


class IndicatorPartInline(admin.TabularInline):
    model = IndicatorPart
    extra = 0

    def _draft(self, obj) -> bool:
        return obj is None or obj.version.status == VersionStatus.DRAFT

    def has_add_permission(self, request, obj=None):
        return self._draft(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._draft(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._draft(obj) and super().has_delete_permission(request, obj)


@admin.register(Section)
class SectionAdmin(DraftOnlyMixin, admin.ModelAdmin):
    list_display = ["version", "code", "title", "points"]
    list_filter = ["version__rubric"]


@admin.register(Indicator)
class IndicatorAdmin(DraftOnlyMixin, admin.ModelAdmin):
    list_display = ["code", "short_text", "points", "is_key", "kind", "version"]
    list_filter = ["version__rubric", "version__status", "kind", "is_key"]
    search_fields = ["code", "text"]
    inlines = [IndicatorPartInline]

    @admin.display(description="指标内容")
    def short_text(self, obj):
        return obj.text[:40]


@admin.register(GradeBand)
class GradeBandAdmin(DraftOnlyMixin, admin.ModelAdmin):
    list_display = ["version", "scale", "label", "minimum", "passed"]


@admin.register(CustomSlotText)
class CustomSlotTextAdmin(admin.ModelAdmin):
    list_display = ["enterprise", "indicator", "text", "updated_by", "updated_at"]
