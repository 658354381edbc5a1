"""Assessment data in the admin, for operators. Workflow changes (submit, return, sign,
consolidate, close) happen only through the pages and their services, which keep the event
rows; here the records are read-only."""

from django.contrib import admin

from . import models


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.Campaign)
class CampaignAdmin(ReadOnlyAdmin):
    list_display = ["name", "year", "quarter", "rubric_version", "scope", "status"]
    list_filter = ["status", "year"]
    search_fields = ["name"]


@admin.register(models.Stage)
class StageAdmin(ReadOnlyAdmin):
    list_display = ["campaign", "position", "name", "assessed_by", "opens_on", "deadline"]


@admin.register(models.ScoreSheet)
class ScoreSheetAdmin(ReadOnlyAdmin):
    list_display = ["organization", "stage", "assessor", "status", "total", "grade", "late"]
    list_filter = ["status", "late", "inflated_self"]
    search_fields = ["organization__name", "assessor__username", "assessor__name"]


@admin.register(models.Meeting)
class MeetingAdmin(ReadOnlyAdmin):
    list_display = ["organization", "kind", "planned_on", "held_on", "topic", "status"]
    list_filter = ["kind", "status"]
    search_fields = ["organization__name", "topic"]


for model in (
    models.SheetEvent,
    models.Draw,
    models.CrossReviewPair,
    models.Evidence,
    models.BranchResult,
    models.Consequence,
    models.ConsequenceEffect,
    models.RectificationItem,
    models.RectificationEvent,
    models.RectificationEvidence,
    models.Rerating,
    models.VetoOverturn,
    models.StoredReport,
    models.ReportJob,
    models.Screening,
    models.Attendance,
    models.MeetingAmendment,
    models.MeetingAttachment,
    models.ScoreDeparture,
):
    admin.site.register(model, ReadOnlyAdmin)
