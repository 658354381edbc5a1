from django.urls import include, path

from .views import bulk, health, ledger, reports, results, workflow

urlpatterns = [
    path("campaigns/", workflow.campaign_list, name="campaign_list"),
    path("campaigns/new/", workflow.campaign_create, name="campaign_create"),
    path("campaigns/<int:pk>/", workflow.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:pk>/open/", workflow.campaign_open, name="campaign_open"),
    path("campaigns/<int:pk>/close/", workflow.campaign_close, name="campaign_close"),
    path("campaigns/<int:pk>/progress/", workflow.campaign_progress, name="campaign_progress"),
    path("campaigns/<int:pk>/remind/", bulk.campaign_remind, name="campaign_remind"),
    path("campaigns/<int:pk>/sheets/bulk/", bulk.campaign_bulk_sheets, name="campaign_bulk_sheets"),
    path("campaigns/<int:pk>/reissue/", workflow.campaign_reissue, name="campaign_reissue"),
    path("stages/<int:pk>/assign/", workflow.stage_assign, name="stage_assign"),
    path("stages/<int:pk>/self-filler/", workflow.stage_self_filler, name="stage_self_filler"),
    path("stages/<int:pk>/assign/matrix/", bulk.stage_assign_matrix, name="stage_assign_matrix"),
    path(
        "campaigns/<int:campaign_pk>/orgs/<int:org_pk>/measures/",
        bulk.branch_measures,
        name="branch_measures",
    ),
    path("stages/<int:pk>/deadline/", workflow.stage_deadline, name="stage_deadline"),
    path("campaigns/<int:campaign_pk>/stages/new/", workflow.stage_edit, name="stage_create"),
    path("stages/<int:pk>/edit/", workflow.stage_edit, name="stage_edit"),
    path("stages/<int:pk>/delete/", workflow.stage_delete, name="stage_delete"),
    path("draws/<int:pk>/", workflow.draw_detail, name="draw_detail"),
    path("sheets/<int:pk>/", workflow.sheet_detail, name="sheet_detail"),
    path("sheets/<int:pk>/autosave/", workflow.sheet_autosave, name="sheet_autosave"),
    path("sheets/<int:pk>/submit/", workflow.sheet_submit, name="sheet_submit"),
    path("sheets/<int:pk>/return/", workflow.sheet_return, name="sheet_return"),
    path("sheets/<int:pk>/sign/", workflow.sheet_sign, name="sheet_sign"),
    path("sheets/<int:pk>/reopen/", workflow.sheet_reopen, name="sheet_reopen"),
    path("sheets/<int:pk>/reassign/", workflow.sheet_reassign, name="sheet_reassign"),
    path("sheets/<int:pk>/sheet.xlsx", workflow.sheet_xlsx, name="sheet_xlsx"),
    path("sheets/<int:pk>/upload/", workflow.sheet_upload, name="sheet_upload"),
    path("sheets/<int:pk>/evidence/", workflow.evidence_upload, name="evidence_upload"),
    path("evidence/<int:pk>/", workflow.evidence_download, name="evidence_download"),
    path("evidence/<int:pk>/delete/", workflow.evidence_delete, name="evidence_delete"),
    # results
    path("campaigns/<int:pk>/results/", results.campaign_results, name="campaign_results"),
    path(
        "campaigns/<int:pk>/consolidate/", results.campaign_consolidate, name="campaign_consolidate"
    ),
    path("campaigns/<int:pk>/results.xlsx", results.results_export, name="results_export"),
    path("campaigns/<int:pk>/overturn/", results.veto_overturn, name="veto_overturn"),
    path(
        "campaigns/<int:pk>/consequences/",
        results.campaign_consequences,
        name="campaign_consequences",
    ),
    path("consequences/<int:pk>/record/", results.consequence_record, name="consequence_record"),
    path("results/<int:pk>/rerate/", results.result_rerate, name="result_rerate"),
    path("orgs/<int:pk>/ledger/", ledger.branch_ledger, name="branch_ledger"),
    path("orgs/<int:pk>/ledger/add/", ledger.ledger_add, name="ledger_add"),
    path("orgs/<int:pk>/screening/", ledger.branch_screen, name="branch_screen"),
    path("screenings/", ledger.screening_overview, name="screening_overview"),
    path("rectifications/", results.rectification_list, name="rectification_list"),
    path("rectifications/<int:pk>/", results.rectification_detail, name="rectification_detail"),
    path(
        "rectifications/<int:pk>/measure/",
        results.rectification_measure,
        name="rectification_measure",
    ),
    path(
        "rectifications/<int:pk>/evidence/",
        results.rectification_evidence,
        name="rectification_evidence",
    ),
    path(
        "rectifications/<int:pk>/submit/", results.rectification_submit, name="rectification_submit"
    ),
    path("rectifications/<int:pk>/close/", results.rectification_close, name="rectification_close"),
    path(
        "rectifications/<int:pk>/return/", results.rectification_return, name="rectification_return"
    ),
    path(
        "rectifications/<int:pk>/follow-up/",
        results.rectification_follow_up,
        name="rectification_follow_up",
    ),
    path(
        "rectification-evidence/<int:pk>/",
        results.rectification_evidence_download,
        name="rectification_evidence_download",
    ),
    path("orgs/<int:pk>/history/", results.branch_history, name="branch_history"),
    # reports
    path("sheets/<int:pk>/report.pdf", reports.sheet_report, name="sheet_report"),
    path("sheets/<int:pk>/print.pdf", reports.sheet_print, name="sheet_print"),
    path("rubrics/<slug:code>/v<int:number>/blank.pdf", reports.blank_sheet, name="blank_sheet"),
    path("campaigns/<int:pk>/reports/<str:kind>/", reports.report_start, name="report_start"),
    path("reports/<uuid:pk>/", reports.report_job, name="report_job"),
    path("reports/<uuid:pk>/status/", reports.report_job_status, name="report_job_status"),
    path("reports/<uuid:pk>/download/", reports.report_download, name="report_download"),
    path("reports/<uuid:pk>/retry/", reports.report_retry, name="report_retry"),
    path("healthz", health.healthz, name="healthz"),
    path("mechanisms/", include("assessments.mechanisms.urls")),
    path("documents/", include("assessments.register.urls")),
    path("notices/", include("assessments.notices.urls")),
    path("", include("assessments.meetings.urls")),
    path("search/", include("assessments.search.urls")),
    path("help/", include("assessments.help.urls")),
]
