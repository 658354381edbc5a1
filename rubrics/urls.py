from django.urls import path

from . import views

urlpatterns = [
    path("rubrics/", views.rubric_list, name="rubric_list"),
    path("rubrics/new/", views.rubric_create, name="rubric_create"),
    path("rubrics/template.xlsx", views.import_template, name="rubric_template"),
    path(
        "rubrics/<slug:code>/v<int:number>/sections/new/",
        views.section_edit,
        name="rubric_section_new",
    ),
    path(
        "rubrics/<slug:code>/v<int:number>/sections/<int:pk>/",
        views.section_edit,
        name="rubric_section",
    ),
    path(
        "rubrics/<slug:code>/v<int:number>/sections/<int:pk>/delete/",
        views.section_delete,
        name="rubric_section_delete",
    ),
    path("rubrics/<slug:code>/v<int:number>/items/new/", views.item_edit, name="rubric_item_new"),
    path("rubrics/<slug:code>/v<int:number>/items/<int:pk>/", views.item_edit, name="rubric_item"),
    path(
        "rubrics/<slug:code>/v<int:number>/items/<int:pk>/delete/",
        views.item_delete,
        name="rubric_item_delete",
    ),
    path("rubrics/<slug:code>/v<int:number>/grades/", views.grade_rules, name="rubric_grades"),
    path("rubrics/<slug:code>/v<int:number>/", views.version_detail, name="rubric_version"),
    path(
        "rubrics/<slug:code>/v<int:number>/export.xlsx", views.version_export, name="rubric_export"
    ),
    path(
        "rubrics/<slug:code>/v<int:number>/score-sheet.xlsx",
        views.score_sheet,
        name="rubric_score_sheet",
    ),
    path(
        "rubrics/<slug:code>/v<int:number>/publish/", views.version_publish, name="rubric_publish"
    ),
    path("rubrics/<slug:code>/v<int:number>/retire/", views.version_retire, name="rubric_retire"),
    path("rubrics/<slug:code>/v<int:number>/copy/", views.version_copy, name="rubric_copy"),
    path("rubrics/<slug:code>/v<int:number>/delete/", views.version_delete, name="rubric_delete"),
    path("rubrics/<slug:code>/v<int:number>/import/", views.version_import, name="rubric_import"),
    path("rubrics/<slug:code>/v<int:number>/slots/", views.slot_texts, name="rubric_slots"),
    path("rubrics/<slug:code>/diff/", views.version_diff, name="rubric_diff"),
]
