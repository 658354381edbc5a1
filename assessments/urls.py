from django.urls import path

from . import views

urlpatterns = [
    path("campaigns/", views.campaign_list, name="campaign_list"),
    path("campaigns/new/", views.campaign_create, name="campaign_create"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:pk>/open/", views.campaign_open, name="campaign_open"),
    path("campaigns/<int:pk>/progress/", views.campaign_progress, name="campaign_progress"),
    path("campaigns/<int:pk>/remind/", views.campaign_remind, name="campaign_remind"),
    path("stages/<int:pk>/assign/", views.stage_assign, name="stage_assign"),
    path("stages/<int:pk>/deadline/", views.stage_deadline, name="stage_deadline"),
    path("draws/<int:pk>/", views.draw_detail, name="draw_detail"),
    path("sheets/<int:pk>/", views.sheet_detail, name="sheet_detail"),
    path("sheets/<int:pk>/autosave/", views.sheet_autosave, name="sheet_autosave"),
    path("sheets/<int:pk>/submit/", views.sheet_submit, name="sheet_submit"),
    path("sheets/<int:pk>/return/", views.sheet_return, name="sheet_return"),
    path("sheets/<int:pk>/sign/", views.sheet_sign, name="sheet_sign"),
    path("sheets/<int:pk>/reopen/", views.sheet_reopen, name="sheet_reopen"),
    path("sheets/<int:pk>/reassign/", views.sheet_reassign, name="sheet_reassign"),
    path("sheets/<int:pk>/sheet.xlsx", views.sheet_xlsx, name="sheet_xlsx"),
    path("sheets/<int:pk>/upload/", views.sheet_upload, name="sheet_upload"),
    path("sheets/<int:pk>/evidence/", views.evidence_upload, name="evidence_upload"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence_download"),
    path("evidence/<int:pk>/delete/", views.evidence_delete, name="evidence_delete"),
]
