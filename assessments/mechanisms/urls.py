from django.urls import path

from . import views, views_board, views_inspection, views_pairing, views_posts

urlpatterns = [
    path("", views.mechanisms_home, name="mechanisms_home"),
    path("pairings/", views_pairing.pairing_list, name="pairing_list"),
    path("pairings/new/", views_pairing.pairing_create, name="pairing_create"),
    path("pairings/export.xlsx", views_pairing.pairing_export, name="pairing_export"),
    path("pairings/<int:pk>/", views_pairing.pairing_detail, name="pairing_detail"),
    path("pairings/<int:pk>/agreement.pdf", views_pairing.pairing_pdf, name="pairing_pdf"),
    path("pairings/<int:pk>/ledger.xlsx", views_pairing.pairing_ledger, name="pairing_ledger"),
    path("pairings/<int:pk>/<slug:action>/", views_pairing.pairing_action, name="pairing_action"),
    path("branches/<int:pk>/items/", views_pairing.branch_items, name="branch_items"),
    path(
        "branches/<int:pk>/items.xlsx",
        views_pairing.branch_items_export,
        name="branch_items_export",
    ),
    path("interviews/", views_pairing.interview_list, name="interview_list"),
    path("interviews/export.xlsx", views_pairing.interview_export, name="interview_export"),
    path("interviews/<int:pk>/record/", views_pairing.interview_record, name="interview_record"),
    path("inspections/", views_inspection.inspection_list, name="inspection_list"),
    path("inspections/new/", views_inspection.inspection_create, name="inspection_create"),
    path("inspections/export.xlsx", views_inspection.inspection_export, name="inspection_export"),
    path("inspections/<int:pk>/", views_inspection.inspection_detail, name="inspection_detail"),
    path(
        "inspections/<int:pk>/submit/",
        views_inspection.inspection_submit,
        name="inspection_submit",
    ),
    path("handbook.pdf", views_inspection.handbook, name="handbook"),
    path("branches/<int:pk>/posts/", views_posts.post_list, name="post_list"),
    path("branches/<int:pk>/posts.xlsx", views_posts.post_export, name="post_export"),
    path("branches/<int:pk>/posts/<slug:action>/", views_posts.post_action, name="post_action"),
    path("claims/<int:pk>/<slug:action>/", views_posts.claim_action, name="claim_action"),
    path("branches/<int:pk>/duty/", views_posts.duty_board, name="duty_board"),
    path("branches/<int:pk>/duty.xlsx", views_posts.duty_export, name="duty_export"),
    path("branches/<int:pk>/duty/score/", views_posts.duty_score, name="duty_score"),
    path("board/", views_board.plaque_board, name="plaque_board"),
    path("board.xlsx", views_board.plaque_board_export, name="plaque_board_export"),
]
