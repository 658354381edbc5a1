from django.urls import include, path

from . import views

urlpatterns = [
    path("orgs/", views.org_tree, name="org_tree"),
    path("orgs/new/", views.org_create, name="org_create"),
    path("orgs/<int:pk>/", views.org_detail, name="org_detail"),
    path("orgs/<int:pk>/edit/", views.org_edit, name="org_edit"),
    path("orgs/<int:pk>/delete/", views.org_delete, name="org_delete"),
    path("orgs/terms/", views.term_reminders, name="term_reminders"),
    path("orgs/export.xlsx", views.org_export, name="org_export"),
    path("orgs/template.xlsx", views.org_template, name="org_template"),
    path("imports/<str:kind>/new/", views.import_upload, name="import_upload"),
    path("imports/<uuid:pk>/", views.import_preview, name="import_preview"),
    path("imports/<uuid:pk>/confirm/", views.import_confirm, name="import_confirm"),
    path("groups/", views.group_list, name="group_list"),
    path("groups/new/", views.group_edit, name="group_create"),
    path("groups/<int:pk>/edit/", views.group_edit, name="group_edit"),
    path("groups/<int:pk>/delete/", views.group_delete, name="group_delete"),
    path("people/", views.people_list, name="people_list"),
    path("people/new/", views.person_create, name="person_create"),
    path("people/<int:pk>/", views.person_detail, name="person_detail"),
    path("people/<int:pk>/password/", views.person_set_password, name="person_set_password"),
    path("people/<int:pk>/roles/", views.person_grant_role, name="person_grant_role"),
    path("roles/<int:pk>/revoke/", views.membership_revoke, name="membership_revoke"),
    path("people/resets/", views.password_reset_list, name="password_reset_list"),
    path(
        "people/resets/<int:pk>/approve/",
        views.password_reset_approve,
        name="password_reset_approve",
    ),
    path(
        "people/resets/<int:pk>/reject/", views.password_reset_reject, name="password_reset_reject"
    ),
    path("people/secretaries/", views.secretary_accounts, name="secretary_accounts"),
    path("people/secretaries/done/", views.secretary_accounts_done, name="secretary_accounts_done"),
    path(
        "people/secretaries/passwords.xlsx",
        views.secretary_accounts_download,
        name="secretary_accounts_download",
    ),
    path(
        "people/secretaries/grants.xlsx",
        views.secretary_accounts_grants,
        name="secretary_accounts_grants",
    ),
    path("people/export.xlsx", views.people_export, name="people_export"),
    path("people/template.xlsx", views.people_template, name="people_template"),
    path("audit/", views.audit_list, name="audit_list"),
    path("audit/export.xlsx", views.audit_export, name="audit_export"),
    path("", include("branches.roster.urls")),
    path("", include("branches.directory.urls")),
    path("", include("branches.api.urls")),
]
