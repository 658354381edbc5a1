from django.urls import path

from . import views

urlpatterns = [
    path("orgs/<int:pk>/members/", views.member_list, name="member_list"),
    path("orgs/<int:pk>/members/new/", views.member_create, name="member_create"),
    path("orgs/<int:pk>/members/export.xlsx", views.member_export, name="member_export"),
    path("orgs/<int:pk>/members/import/", views.member_import, name="member_import"),
    path("members/<int:pk>/edit/", views.member_edit, name="member_edit"),
    path("members/<int:pk>/delete/", views.member_delete, name="member_delete"),
    path("members/template.xlsx", views.member_template, name="member_template"),
]
