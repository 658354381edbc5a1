from django.urls import path

from . import views

urlpatterns = [
    path("orgs/<int:pk>/meetings/", views.meeting_calendar, name="meeting_calendar"),
    path("orgs/<int:pk>/meetings/new/", views.meeting_new, name="meeting_new"),
    path("orgs/<int:pk>/meetings/import/", views.meeting_import, name="meeting_import"),
    path("meetings/", views.meeting_overview, name="meeting_overview"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting_detail"),
    path("meetings/<int:pk>/edit/", views.meeting_edit, name="meeting_edit"),
    path("meetings/<int:pk>/check/", views.meeting_check, name="meeting_check"),
    path("meetings/<int:pk>/attachments/", views.meeting_attachment, name="meeting_attachment"),
    path(
        "meeting-attachments/<int:pk>/",
        views.meeting_attachment_download,
        name="meeting_attachment_download",
    ),
    path("sheets/<int:pk>/departures/", views.sheet_departure, name="sheet_departure"),
]
