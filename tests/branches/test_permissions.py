"""One matrix: every URL × every role → the status a person would get.

An outsider (no role over the object) gets 404, an insider without the right gets 403,
an anonymous visitor is sent to the login page (302). The test fails when a URL is added
without a row here.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from branches.models import Membership

ROLES = [
    "anonymous",
    "outsider",
    "secretary_a",
    "reviewer",
    "dept_admin",
    "leader",
    "sysadmin",
    "auditor",
    "security_admin",
]

# (url name, args builder, method): expected status per role, in ROLES order.
MATRIX = [
    ("home", None, "GET", [302, 200, 200, 200, 200, 200, 200, 200, 200]),
    ("login", None, "GET", [200, 302, 302, 302, 302, 302, 302, 302, 302]),
    ("logout", None, "POST", [302, 302, 302, 302, 302, 302, 302, 302, 302]),
    ("password_change", None, "GET", [302, 200, 200, 200, 200, 200, 200, 200, 200]),
    ("password_change", None, "POST", [302, 200, 200, 200, 200, 200, 200, 200, 200]),
    ("password_change_done", None, "GET", [302, 200, 200, 200, 200, 200, 200, 200, 200]),
    ("org_tree", None, "GET", [302, 403, 200, 200, 200, 200, 200, 403, 200]),
    ("org_detail", "a", "GET", [302, 404, 200, 200, 200, 200, 200, 404, 200]),
    ("org_detail", "b", "GET", [302, 404, 404, 200, 200, 200, 200, 404, 200]),
    ("org_create", None, "GET", [302, 403, 403, 403, 200, 403, 403, 403, 403]),
    ("org_create", None, "POST", [302, 403, 403, 403, 200, 403, 403, 403, 403]),
    ("org_edit", "a", "GET", [302, 404, 403, 403, 200, 403, 403, 404, 403]),
    ("org_edit", "a", "POST", [302, 404, 403, 403, 200, 403, 403, 404, 403]),
    ("org_edit", "b", "GET", [302, 404, 404, 403, 200, 403, 403, 404, 403]),
    ("org_delete", "a", "GET", [302, 404, 403, 403, 200, 403, 403, 404, 403]),
    ("org_delete", "a", "POST", [302, 404, 403, 403, 302, 403, 403, 404, 403]),
    ("term_reminders", None, "GET", [302, 403, 403, 403, 200, 200, 403, 403, 403]),
    ("org_export", None, "GET", [302, 403, 200, 200, 200, 200, 200, 403, 200]),
    ("org_template", None, "GET", [302, 403, 403, 403, 200, 403, 403, 403, 403]),
    ("import_upload", "kind_orgs", "GET", [302, 403, 403, 403, 200, 403, 403, 403, 403]),
    ("import_upload", "kind_orgs", "POST", [302, 403, 403, 403, 200, 403, 403, 403, 403]),
    ("import_upload", "kind_people", "GET", [302, 403, 403, 403, 403, 403, 200, 403, 200]),
    ("import_preview", "job", "GET", [302, 404, 404, 404, 200, 404, 404, 404, 404]),
    ("import_confirm", "job", "POST", [302, 404, 404, 404, 302, 404, 404, 404, 404]),
    ("group_list", None, "GET", [302, 403, 200, 200, 200, 200, 200, 403, 200]),
    ("group_create", None, "GET", [302, 403, 403, 403, 200, 403, 403, 403, 403]),
    ("group_create", None, "POST", [302, 403, 403, 403, 200, 403, 403, 403, 403]),
    ("group_edit", "group", "GET", [302, 404, 404, 403, 200, 403, 403, 404, 403]),
    ("group_edit", "group", "POST", [302, 404, 404, 403, 200, 403, 403, 404, 403]),
    ("group_delete", "group", "GET", [302, 404, 404, 403, 200, 403, 403, 404, 403]),
    ("group_delete", "group", "POST", [302, 404, 404, 403, 302, 403, 403, 404, 403]),
    ("people_list", None, "GET", [302, 403, 403, 403, 403, 403, 200, 403, 200]),
    ("person_create", None, "GET", [302, 403, 403, 403, 403, 403, 200, 403, 403]),
    ("person_create", None, "POST", [302, 403, 403, 403, 403, 403, 200, 403, 403]),
    ("person_detail", "person", "GET", [302, 403, 403, 403, 403, 403, 200, 403, 200]),
    ("person_detail", "person", "POST", [302, 403, 403, 403, 403, 403, 200, 403, 403]),
    ("person_set_password", "person", "POST", [302, 403, 403, 403, 403, 403, 302, 403, 403]),
    # An empty grant comes back on the person's page (200), as every refused form does.
    ("person_grant_role", "person", "POST", [302, 403, 403, 403, 403, 403, 403, 403, 200]),
    ("membership_revoke", "membership", "POST", [302, 403, 403, 403, 403, 403, 403, 403, 302]),
    # 三员分立: the 系统管理员 manages accounts (the people pages, passwords), the 安全管理员
    # grants and revokes roles; each sees the other's part read-only (person_detail GET).
    # Neither touches a superuser (invisible: 404), another administrator or itself (403);
    # only a superuser manages those.
    ("person_detail", "superuser_person", "GET", [302, 403, 403, 403, 403, 403, 404, 403, 404]),
    (
        "person_set_password",
        "superuser_person",
        "POST",
        [302, 403, 403, 403, 403, 403, 404, 403, 404],
    ),
    (
        "person_set_password",
        "other_sysadmin",
        "POST",
        [302, 403, 403, 403, 403, 403, 403, 403, 403],
    ),
    (
        "person_set_password",
        "auditor_person",
        "POST",
        [302, 403, 403, 403, 403, 403, 403, 403, 403],
    ),
    ("person_set_password", "sysadmin_self", "POST", [302, 403, 403, 403, 403, 403, 403, 403, 403]),
    ("person_grant_role", "sysadmin_self", "POST", [302, 403, 403, 403, 403, 403, 403, 403, 403]),
    ("person_grant_role", "auditor_person", "POST", [302, 403, 403, 403, 403, 403, 403, 403, 403]),
    ("person_detail", "other_sysadmin", "POST", [302, 403, 403, 403, 403, 403, 403, 403, 403]),
    ("membership_revoke", "auditor_grant", "POST", [302, 403, 403, 403, 403, 403, 403, 403, 403]),
    ("person_grant_role", "security_self", "POST", [302, 403, 403, 403, 403, 403, 403, 403, 403]),
    ("person_detail", "security_self", "GET", [302, 403, 403, 403, 403, 403, 200, 403, 200]),
    # Directory sign-in: the single sign-on entry points answer 404 while not configured
    # (tests/branches/test_directory_sso.py signs in through them when they are).
    ("oidc_login", None, "GET", [404, 404, 404, 404, 404, 404, 404, 404, 404]),
    ("oidc_callback", None, "GET", [404, 404, 404, 404, 404, 404, 404, 404, 404]),
    ("cas_login", None, "GET", [404, 404, 404, 404, 404, 404, 404, 404, 404]),
    ("cas_login", None, "POST", [404, 404, 404, 404, 404, 404, 404, 404, 404]),
    # Roles proposed by directory groups: the 安全管理员 alone sees and decides them.
    ("role_proposals", None, "GET", [302, 403, 403, 403, 403, 403, 403, 403, 200]),
    (
        "role_proposal_confirm",
        "role_proposal",
        "POST",
        [302, 403, 403, 403, 403, 403, 403, 403, 302],
    ),
    (
        "role_proposal_reject",
        "role_proposal",
        "POST",
        [302, 403, 403, 403, 403, 403, 403, 403, 302],
    ),
    # A 系统管理员's password reset of an account that reads scores waits for a 安全管理员.
    ("password_reset_list", None, "GET", [302, 403, 403, 403, 403, 403, 200, 403, 200]),
    ("password_reset_approve", "reset", "POST", [302, 403, 403, 403, 403, 403, 403, 403, 302]),
    ("password_reset_reject", "reset", "POST", [302, 403, 403, 403, 403, 403, 403, 403, 302]),
    ("second_factor_verify", None, "GET", [302, 302, 302, 302, 302, 302, 302, 302, 302]),
    ("second_factor_verify", None, "POST", [302, 302, 302, 302, 302, 302, 302, 302, 302]),
    ("second_factor_enrol", None, "GET", [302, 302, 302, 302, 302, 302, 302, 302, 302]),
    ("second_factor_enrol", None, "POST", [302, 302, 302, 302, 302, 302, 302, 302, 302]),
    ("second_factor_recovery_codes", None, "GET", [302, 302, 302, 302, 302, 302, 302, 302, 302]),
    ("second_factor_recovery_codes", None, "POST", [302, 302, 302, 302, 302, 302, 302, 302, 302]),
    (
        "second_factor_recovery_codes_download",
        None,
        "GET",
        [302, 404, 404, 404, 404, 404, 404, 404, 404],
    ),
    ("second_factor_people", None, "GET", [302, 403, 403, 403, 403, 403, 403, 403, 200]),
    ("second_factor_reset", "person", "POST", [302, 403, 403, 403, 403, 403, 403, 403, 404]),
    # Secretary accounts in bulk: the account administrator alone (三员分立).
    ("secretary_accounts", None, "GET", [302, 403, 403, 403, 403, 403, 200, 403, 403]),
    ("secretary_accounts", None, "POST", [302, 403, 403, 403, 403, 403, 200, 403, 403]),
    ("secretary_accounts_done", None, "GET", [302, 403, 403, 403, 403, 403, 200, 403, 403]),
    ("secretary_accounts_download", None, "GET", [302, 403, 403, 403, 403, 403, 302, 403, 403]),
    ("secretary_accounts_grants", None, "GET", [302, 403, 403, 403, 403, 403, 302, 403, 403]),
    ("people_export", None, "GET", [302, 403, 403, 403, 403, 403, 200, 403, 200]),
    ("people_template", None, "GET", [302, 403, 403, 403, 403, 403, 200, 403, 200]),
    # 三员分立: the auditor alone reads and exports the audit trail; the 系统管理员 never.
    # Member rosters: the department and the branch's secretary manage, leaders
    # read; a reviewer or 系统管理员 sees the organization but not its members.
    ("member_list", "a", "GET", [302, 404, 200, 403, 200, 200, 403, 404, 403]),
    ("member_list", "b", "GET", [302, 404, 404, 403, 200, 200, 403, 404, 403]),
    ("member_create", "a", "GET", [302, 404, 200, 403, 200, 403, 403, 404, 403]),
    ("member_create", "a", "POST", [302, 404, 200, 403, 200, 403, 403, 404, 403]),
    ("member_export", "a", "GET", [302, 404, 200, 403, 200, 200, 403, 404, 403]),
    ("member_import", "a", "GET", [302, 404, 200, 403, 200, 403, 403, 404, 403]),
    ("member_import", "a", "POST", [302, 404, 200, 403, 200, 403, 403, 404, 403]),
    ("member_edit", "member", "GET", [302, 404, 200, 403, 200, 403, 403, 404, 403]),
    ("member_edit", "member", "POST", [302, 404, 200, 403, 200, 403, 403, 404, 403]),
    ("member_delete", "member", "GET", [302, 404, 200, 403, 200, 403, 403, 404, 403]),
    ("member_delete", "member_b", "POST", [302, 404, 404, 403, 302, 403, 403, 404, 403]),
    ("member_template", None, "GET", [302, 403, 200, 403, 200, 403, 403, 403, 403]),
    # Working mechanisms: the department manages, leaders read, the branch's
    # secretary works its own; a reviewer or an outsider sees none of it.
    ("mechanisms_home", None, "GET", [302, 200, 200, 200, 200, 200, 200, 200, 200]),
    ("pairing_list", None, "GET", [302, 200, 200, 200, 200, 200, 200, 200, 200]),
    ("pairing_export", None, "GET", [302, 200, 200, 200, 200, 200, 200, 200, 200]),
    ("pairing_create", None, "GET", [302, 403, 403, 403, 200, 403, 403, 403, 403]),
    ("pairing_create", None, "POST", [302, 403, 403, 403, 200, 403, 403, 403, 403]),
    ("pairing_detail", "pairing", "GET", [302, 404, 200, 404, 200, 200, 404, 404, 404]),
    ("pairing_pdf", "pairing", "GET", [302, 404, 200, 404, 200, 200, 404, 404, 404]),
    ("pairing_ledger", "pairing", "GET", [302, 404, 200, 404, 200, 200, 404, 404, 404]),
    ("pairing_action", "pairing_evaluate", "POST", [302, 404, 403, 404, 200, 403, 404, 404, 404]),
    ("person_record", "person", "GET", [302, 404, 404, 404, 200, 200, 404, 404, 404]),
    ("points_ledger", "a", "GET", [302, 404, 200, 404, 200, 200, 404, 404, 404]),
    ("points_export", "a", "GET", [302, 404, 200, 404, 200, 200, 404, 404, 404]),
    ("plaque_extend", "result", "POST", [302, 404, 403, 404, 302, 403, 404, 404, 404]),
    # The mechanisms' problem list is the branch's one list now: the old URLs redirect to it.
    ("branch_items", "a", "GET", [302, 404, 302, 404, 302, 302, 404, 404, 404]),
    ("branch_items_export", "a", "GET", [302, 404, 302, 404, 302, 302, 404, 404, 404]),
    # A pairing's weakness is an item of that list, on its page and in its flow.
    ("rectification_detail", "pairing_item", "GET", [302, 404, 200, 404, 200, 200, 404, 404, 404]),
    ("rectification_close", "pairing_item", "POST", [302, 404, 403, 404, 302, 403, 404, 404, 404]),
    ("interview_list", None, "GET", [302, 200, 200, 200, 200, 200, 200, 200, 200]),
    ("interview_export", None, "GET", [302, 200, 200, 200, 200, 200, 200, 200, 200]),
    ("interview_record", "interview", "POST", [302, 404, 403, 404, 200, 403, 404, 404, 404]),
    ("inspection_list", None, "GET", [302, 200, 200, 200, 200, 200, 200, 200, 200]),
    ("inspection_export", None, "GET", [302, 200, 200, 200, 200, 200, 200, 200, 200]),
    ("inspection_create", None, "GET", [302, 403, 403, 403, 200, 403, 403, 403, 403]),
    ("inspection_create", None, "POST", [302, 403, 403, 403, 200, 403, 403, 403, 403]),
    ("inspection_detail", "inspection", "GET", [302, 404, 200, 404, 200, 200, 404, 404, 404]),
    ("inspection_submit", "inspection", "POST", [302, 404, 403, 404, 403, 403, 404, 404, 404]),
    ("handbook", None, "GET", [302, 403, 403, 403, 200, 200, 403, 403, 403]),
    ("post_list", "a", "GET", [302, 404, 200, 404, 200, 200, 404, 404, 404]),
    ("post_export", "a", "GET", [302, 404, 200, 404, 200, 200, 404, 404, 404]),
    # An empty form the person may post comes back on its page (200) with what was typed.
    ("post_action", "post_add", "POST", [302, 404, 200, 404, 200, 403, 404, 404, 404]),
    ("claim_action", "claim_review", "POST", [302, 404, 200, 404, 200, 403, 404, 404, 404]),
    ("duty_board", "a", "GET", [302, 404, 200, 404, 200, 200, 404, 404, 404]),
    ("duty_export", "a", "GET", [302, 404, 200, 404, 200, 200, 404, 404, 404]),
    ("duty_score", "a", "POST", [302, 404, 200, 404, 200, 403, 404, 404, 404]),
    ("plaque_board", None, "GET", [302, 403, 200, 403, 200, 200, 403, 403, 403]),
    ("plaque_board_export", None, "GET", [302, 403, 302, 403, 302, 302, 403, 403, 403]),
    ("audit_list", None, "GET", [302, 403, 403, 403, 403, 403, 403, 200, 403]),
    ("audit_export", None, "GET", [302, 403, 403, 403, 403, 403, 403, 200, 403]),
    ("admin:index", None, "GET", [302, 302, 302, 302, 302, 302, 302, 302, 302]),
    ("notice_list", None, "GET", [302, 200, 200, 200, 200, 200, 200, 200, 200]),
    ("notice_read_all", None, "POST", [302, 302, 302, 302, 302, 302, 302, 302, 302]),
    ("notice_open", "notice", "POST", [302, 404, 302, 404, 404, 404, 404, 404, 404]),
    ("notice_read", "notice", "POST", [302, 404, 302, 404, 404, 404, 404, 404, 404]),
    # Rubrics: published versions are for everyone logged in, drafts for rubric managers.
    ("rubric_list", None, "GET", [302, 200, 200, 200, 200, 200, 200, 200, 200]),
    ("rubric_version", "v1", "GET", [302, 200, 200, 200, 200, 200, 200, 200, 200]),
    ("rubric_version", "v2", "GET", [302, 404, 404, 404, 200, 404, 404, 404, 404]),
    ("rubric_export", "v1", "GET", [302, 200, 200, 200, 200, 200, 200, 200, 200]),
    ("rubric_export", "v2", "GET", [302, 404, 404, 404, 200, 404, 404, 404, 404]),
    ("rubric_score_sheet", "v1", "GET", [302, 200, 200, 200, 200, 200, 200, 200, 200]),
    ("blank_sheet", "v1", "GET", [302, 200, 200, 200, 200, 200, 200, 200, 200]),
    ("blank_sheet", "v2", "GET", [302, 404, 404, 404, 200, 404, 404, 404, 404]),
    ("rubric_publish", "v2", "POST", [302, 404, 404, 404, 302, 404, 404, 404, 404]),
    ("rubric_publish", "v2", "GET", [302, 404, 404, 404, 200, 404, 404, 404, 404]),  # confirm step
    ("rubric_publish", "v1", "POST", [302, 403, 403, 403, 302, 403, 403, 403, 403]),
    ("rubric_publish", "v1", "GET", [302, 403, 403, 403, 302, 403, 403, 403, 403]),  # not a draft
    ("rubric_retire", "v1", "POST", [302, 403, 403, 403, 302, 403, 403, 403, 403]),
    ("rubric_copy", "v1", "POST", [302, 403, 403, 403, 302, 403, 403, 403, 403]),
    ("rubric_delete", "v2", "GET", [302, 404, 404, 404, 200, 404, 404, 404, 404]),
    ("rubric_delete", "v2", "POST", [302, 404, 404, 404, 302, 404, 404, 404, 404]),
    ("rubric_import", "v2", "GET", [302, 404, 404, 404, 200, 404, 404, 404, 404]),
    ("rubric_import", "v2", "POST", [302, 404, 404, 404, 200, 404, 404, 404, 404]),
    ("rubric_slots", "v1", "GET", [302, 403, 403, 403, 200, 403, 403, 403, 403]),
    ("rubric_slots", "v1", "POST", [302, 403, 403, 403, 200, 403, 403, 403, 403]),
    ("rubric_diff", "diff", "GET", [302, 404, 404, 404, 200, 404, 404, 404, 404]),
    # Writing a rubric: the department only; drafts are invisible to everyone else, and a
    # published version sends the department back to its page.
    ("rubric_create", None, "GET", [302, 403, 403, 403, 200, 403, 403, 403, 403]),
    ("rubric_create", None, "POST", [302, 403, 403, 403, 200, 403, 403, 403, 403]),
    ("rubric_template", None, "GET", [302, 403, 403, 403, 200, 403, 403, 403, 403]),
    ("rubric_section_new", "v2", "GET", [302, 404, 404, 404, 200, 404, 404, 404, 404]),
    ("rubric_section_new", "v2", "POST", [302, 404, 404, 404, 200, 404, 404, 404, 404]),
    ("rubric_section_new", "v1", "GET", [302, 403, 403, 403, 302, 403, 403, 403, 403]),
    ("rubric_section", "v2_section", "GET", [302, 404, 404, 404, 200, 404, 404, 404, 404]),
    ("rubric_section", "v2_section", "POST", [302, 404, 404, 404, 200, 404, 404, 404, 404]),
    ("rubric_section_delete", "v2_section", "POST", [302, 404, 404, 404, 302, 404, 404, 404, 404]),
    ("rubric_item_new", "v2", "GET", [302, 404, 404, 404, 200, 404, 404, 404, 404]),
    ("rubric_item_new", "v2", "POST", [302, 404, 404, 404, 200, 404, 404, 404, 404]),
    ("rubric_item_new", "v1", "POST", [302, 403, 403, 403, 302, 403, 403, 403, 403]),
    ("rubric_item", "v2_item", "GET", [302, 404, 404, 404, 200, 404, 404, 404, 404]),
    ("rubric_item", "v2_item", "POST", [302, 404, 404, 404, 200, 404, 404, 404, 404]),
    ("rubric_item_delete", "v2_item", "POST", [302, 404, 404, 404, 302, 404, 404, 404, 404]),
    ("rubric_grades", "v2", "GET", [302, 404, 404, 404, 200, 404, 404, 404, 404]),
    ("rubric_grades", "v2", "POST", [302, 404, 404, 404, 200, 404, 404, 404, 404]),
    ("rubric_grades", "v1", "POST", [302, 403, 403, 403, 302, 403, 403, 403, 403]),
    ("rubric_diff", "diff_published", "GET", [302, 200, 200, 200, 200, 200, 200, 200, 200]),
    # Campaigns: the department manages, leaders read; assessors work through their sheets.
    # A 考评员 lists the campaigns he reviews in (here none: an empty list) and opens the
    # page of one of them (stages, his own sheets), never its progress or results.
    ("campaign_list", None, "GET", [302, 403, 403, 200, 200, 200, 403, 403, 403]),
    ("campaign_create", None, "GET", [302, 403, 403, 403, 200, 403, 403, 403, 403]),
    ("campaign_create", None, "POST", [302, 403, 403, 403, 200, 403, 403, 403, 403]),
    ("campaign_detail", "campaign", "GET", [302, 404, 403, 404, 200, 200, 404, 404, 404]),
    ("campaign_open", "campaign", "POST", [302, 404, 403, 404, 302, 403, 404, 404, 404]),
    ("campaign_close", "campaign", "POST", [302, 404, 403, 404, 302, 403, 404, 404, 404]),
    ("campaign_progress", "campaign", "GET", [302, 404, 403, 404, 200, 200, 404, 404, 404]),
    ("campaign_remind", "campaign", "POST", [302, 404, 403, 404, 302, 403, 404, 404, 404]),
    # GET: the confirm step listing who would be reminded
    ("campaign_remind", "campaign", "GET", [302, 404, 403, 404, 200, 403, 404, 404, 404]),
    ("campaign_reissue", "campaign", "POST", [302, 404, 403, 404, 302, 403, 404, 404, 404]),
    ("campaign_bulk_sheets", "campaign", "POST", [302, 404, 403, 404, 302, 403, 404, 404, 404]),
    ("stage_assign", "stage", "GET", [302, 404, 403, 404, 200, 403, 404, 404, 404]),
    ("stage_assign", "stage", "POST", [302, 404, 403, 404, 200, 403, 404, 404, 404]),
    ("stage_assign_matrix", "stage", "GET", [302, 404, 403, 404, 200, 403, 404, 404, 404]),
    ("stage_assign_matrix", "stage", "POST", [302, 404, 403, 404, 200, 403, 404, 404, 404]),
    ("stage_deadline", "stage", "POST", [302, 404, 403, 404, 302, 403, 404, 404, 404]),
    ("stage_create", "campaign", "GET", [302, 404, 403, 404, 200, 403, 404, 404, 404]),
    ("stage_create", "campaign", "POST", [302, 404, 403, 404, 200, 403, 404, 404, 404]),
    ("stage_edit", "stage", "GET", [302, 404, 403, 404, 200, 403, 404, 404, 404]),
    ("stage_edit", "stage", "POST", [302, 404, 403, 404, 200, 403, 404, 404, 404]),
    ("stage_delete", "stage", "POST", [302, 404, 403, 404, 302, 403, 404, 404, 404]),
    ("draw_detail", "draw", "GET", [302, 404, 403, 404, 200, 200, 404, 404, 404]),
    ("sheet_detail", "sheet", "GET", [302, 404, 200, 404, 200, 200, 404, 404, 404]),
    ("sheet_autosave", "sheet", "POST", [302, 404, 409, 404, 403, 403, 404, 404, 404]),
    ("sheet_submit", "sheet", "POST", [302, 404, 302, 404, 403, 403, 404, 404, 404]),
    ("sheet_return", "sheet", "POST", [302, 404, 403, 404, 302, 403, 404, 404, 404]),
    ("sheet_sign", "sheet", "POST", [302, 404, 403, 404, 302, 403, 404, 404, 404]),
    ("sheet_reopen", "sheet", "POST", [302, 404, 403, 404, 302, 403, 404, 404, 404]),
    ("sheet_reassign", "sheet", "POST", [302, 404, 403, 404, 302, 403, 404, 404, 404]),
    ("sheet_xlsx", "sheet", "GET", [302, 404, 200, 404, 200, 200, 404, 404, 404]),
    ("sheet_upload", "sheet", "POST", [302, 404, 302, 404, 403, 403, 404, 404, 404]),
    ("evidence_upload", "sheet", "POST", [302, 404, 302, 404, 403, 403, 404, 404, 404]),
    ("evidence_download", "evidence", "GET", [302, 404, 200, 404, 200, 200, 404, 404, 404]),
    ("evidence_delete", "evidence", "POST", [302, 404, 302, 404, 403, 403, 404, 404, 404]),
    ("stage_self_filler", "stage", "GET", [302, 404, 403, 404, 200, 403, 404, 404, 404]),
    ("stage_self_filler", "stage", "POST", [302, 404, 403, 404, 200, 403, 404, 404, 404]),
    # Results: department manages, leaders read; rectification belongs to the branch.
    ("campaign_results", "campaign", "GET", [302, 404, 403, 404, 200, 200, 404, 404, 404]),
    ("campaign_ledger", "campaign", "GET", [302, 404, 403, 404, 200, 200, 404, 404, 404]),
    ("campaign_consolidate", "campaign", "POST", [302, 404, 403, 404, 302, 403, 404, 404, 404]),
    ("results_export", "campaign", "GET", [302, 404, 403, 404, 200, 200, 404, 404, 404]),
    ("veto_overturn", "campaign", "POST", [302, 404, 403, 404, 200, 403, 404, 404, 404]),
    ("campaign_consequences", "campaign", "GET", [302, 404, 403, 404, 200, 200, 404, 404, 404]),
    ("consequence_record", "consequence", "POST", [302, 404, 403, 404, 302, 403, 404, 404, 404]),
    ("result_rerate", "result", "GET", [302, 404, 403, 404, 200, 403, 404, 404, 404]),
    ("result_rerate", "result", "POST", [302, 404, 403, 404, 200, 403, 404, 404, 404]),
    ("rectification_list", None, "GET", [302, 200, 200, 200, 200, 200, 200, 200, 200]),
    ("rectification_detail", "item", "GET", [302, 404, 404, 404, 200, 200, 404, 404, 404]),
    ("rectification_measure", "item", "POST", [302, 404, 404, 404, 403, 403, 404, 404, 404]),
    ("rectification_evidence", "item", "POST", [302, 404, 404, 404, 403, 403, 404, 404, 404]),
    ("rectification_submit", "item", "POST", [302, 404, 404, 404, 403, 403, 404, 404, 404]),
    ("rectification_close", "item", "POST", [302, 404, 404, 404, 302, 403, 404, 404, 404]),
    # GET: the confirm step; this item is not submitted yet
    ("rectification_close", "item", "GET", [302, 404, 404, 404, 302, 403, 404, 404, 404]),
    ("rectification_return", "item", "POST", [302, 404, 404, 404, 302, 403, 404, 404, 404]),
    ("rectification_follow_up", "item", "POST", [302, 404, 404, 404, 200, 403, 404, 404, 404]),
    (
        "rectification_evidence_download",
        "item_evidence",
        "GET",
        [302, 404, 404, 404, 200, 200, 404, 404, 404],
    ),
    # A branch's measures at once: its own secretary alone.
    ("branch_measures", "measures", "GET", [302, 404, 404, 403, 403, 403, 403, 404, 403]),
    ("branch_measures", "measures", "POST", [302, 404, 404, 403, 403, 403, 403, 404, 403]),
    # 历年考评 reads scores: the branch's own secretary, the department and leaders over it
    # (branches.access.can_read_scores); seeing the organization is not enough.
    ("branch_history", "a", "GET", [302, 404, 200, 403, 200, 200, 403, 404, 403]),
    ("branch_history", "b", "GET", [302, 404, 404, 403, 200, 200, 403, 404, 403]),
    # A branch's problem ledger: its secretary and the department add problems,
    # leaders read; the yearly screening is the department's.
    ("branch_ledger", "a", "GET", [302, 404, 200, 403, 200, 200, 403, 404, 403]),
    ("branch_ledger", "b", "GET", [302, 404, 404, 403, 200, 200, 403, 404, 403]),
    ("ledger_add", "a", "POST", [302, 404, 200, 403, 200, 403, 403, 404, 403]),
    ("branch_screen", "a", "POST", [302, 404, 403, 403, 200, 403, 403, 404, 403]),
    ("screening_overview", None, "GET", [302, 403, 403, 403, 200, 200, 403, 403, 403]),
    # Organizational-life records: the secretary keeps them, a reviewer or the department
    # checks (locks) them, leaders read; the department's view across branches.
    ("meeting_calendar", "a", "GET", [302, 404, 200, 200, 200, 200, 403, 404, 403]),
    ("meeting_calendar", "b", "GET", [302, 404, 404, 200, 200, 200, 403, 404, 403]),
    ("meeting_new", "a", "GET", [302, 404, 200, 403, 200, 403, 403, 404, 403]),
    ("meeting_new", "a", "POST", [302, 404, 200, 403, 200, 403, 403, 404, 403]),
    ("meeting_import", "a", "GET", [302, 404, 200, 403, 200, 403, 403, 404, 403]),
    ("meeting_import", "a", "POST", [302, 404, 200, 403, 200, 403, 403, 404, 403]),
    ("meeting_overview", None, "GET", [302, 403, 403, 403, 200, 200, 403, 403, 403]),
    ("meeting_detail", "meeting", "GET", [302, 404, 200, 200, 200, 200, 403, 404, 403]),
    ("meeting_edit", "meeting", "POST", [302, 404, 200, 403, 200, 403, 403, 404, 403]),
    ("meeting_check", "meeting", "POST", [302, 404, 403, 302, 302, 403, 403, 404, 403]),
    ("meeting_attachment", "meeting", "POST", [302, 404, 302, 403, 302, 403, 403, 404, 403]),
    (
        "meeting_attachment_download",
        "meeting_attachment",
        "GET",
        [302, 404, 200, 200, 200, 200, 403, 404, 403],
    ),
    ("sheet_departure", "sheet", "POST", [302, 404, 302, 404, 403, 403, 404, 404, 404]),
    # Reports: a sheet's PDF for whoever sees the sheet; jobs belong to who asked.
    ("sheet_report", "sheet", "GET", [302, 404, 200, 404, 200, 200, 404, 404, 404]),
    ("sheet_print", "sheet", "GET", [302, 404, 200, 404, 200, 200, 404, 404, 404]),
    ("report_start", "report_kind", "POST", [302, 404, 403, 404, 302, 302, 404, 404, 404]),
    ("report_job", "report_job", "GET", [302, 404, 404, 404, 200, 404, 404, 404, 404]),
    ("report_job_status", "report_job", "GET", [302, 404, 404, 404, 200, 404, 404, 404, 404]),
    ("report_download", "report_job", "GET", [302, 404, 404, 404, 200, 404, 404, 404, 404]),
    ("report_retry", "report_job", "POST", [302, 404, 404, 404, 302, 404, 404, 404, 404]),
    ("healthz", None, "GET", [200, 200, 200, 200, 200, 200, 200, 200, 200]),
    # The header's search and the help: every person, each seeing only their own scope.
    ("search", None, "GET", [302, 200, 200, 200, 200, 200, 200, 200, 200]),
    ("help", None, "GET", [302, 200, 200, 200, 200, 200, 200, 200, 200]),
    # The document register (发文登记簿): the department and the auditor read it.
    ("document_register", None, "GET", [302, 403, 403, 403, 200, 403, 403, 200, 403]),
    ("document_register_export", None, "GET", [302, 403, 403, 403, 200, 403, 403, 200, 403]),
    # Service-account tokens for other systems: the 安全管理员 issues and revokes them
    # (三员分立: the 系统管理员 never issues a way to read scores), the 审计员 reads them
    # and their uses. The API itself answers tokens only: a session
    # is not a token (401 for everyone); tests/branches/test_api.py holds its matrix by
    # token. Its schema is for a token or a logged-in person, its docs page for a person.
    ("api_tokens", None, "GET", [302, 403, 403, 403, 403, 403, 403, 200, 200]),
    ("api_token_create", None, "POST", [302, 403, 403, 403, 403, 403, 403, 403, 302]),
    ("api_token_detail", "api_token", "GET", [302, 403, 403, 403, 403, 403, 403, 200, 200]),
    ("api_token_revoke", "api_token", "POST", [302, 403, 403, 403, 403, 403, 403, 403, 302]),
    ("api_schema", None, "GET", [401, 200, 200, 200, 200, 200, 200, 200, 200]),
    ("api_docs", None, "GET", [302, 200, 200, 200, 200, 200, 200, 200, 200]),
    ("api_organizations", None, "GET", [401, 401, 401, 401, 401, 401, 401, 401, 401]),
    ("api_organization", "org_code", "GET", [401, 401, 401, 401, 401, 401, 401, 401, 401]),
    ("api_members", "org_code", "GET", [401, 401, 401, 401, 401, 401, 401, 401, 401]),
    ("api_meetings", "org_code", "GET", [401, 401, 401, 401, 401, 401, 401, 401, 401]),
    ("api_campaigns", None, "GET", [401, 401, 401, 401, 401, 401, 401, 401, 401]),
    ("api_campaign", "campaign", "GET", [401, 401, 401, 401, 401, 401, 401, 401, 401]),
    ("api_results", "campaign", "GET", [401, 401, 401, 401, 401, 401, 401, 401, 401]),
    ("api_rectifications", None, "GET", [401, 401, 401, 401, 401, 401, 401, 401, 401]),
]


def _url_names(patterns, prefix="") -> set[str]:
    names = set()
    for p in patterns:
        if isinstance(p, URLResolver):
            if p.namespace == "admin":
                names.add("admin:index")  # the admin guards itself (staff only)
                continue
            names |= _url_names(p.url_patterns, prefix)
        elif isinstance(p, URLPattern) and p.name:
            names.add(prefix + p.name)
    return names


def test_every_url_is_in_the_matrix():
    covered = {name for name, *_ in MATRIX}
    missing = _url_names(get_resolver().url_patterns) - covered
    assert not missing, f"URLs missing from the permission matrix: {sorted(missing)}"


# Tests with their own objects come before the matrix: from its first row on, the module
# runs inside the matrix's objects (see `shared_data` in tests/conftest.py).
def test_scoped_people_manager_gets_404_for_accounts_outside_scope(tree, secretary_a, client):
    from branches.models import Role
    from tests.conftest import make_user

    e2_admin = make_user("sys_e2", (tree.e2, Role.SYSADMIN))
    e2_security = make_user("sec_e2", (tree.e2, Role.SECURITY_ADMIN))
    membership = Membership.objects.get(user=secretary_a)
    for admin in (e2_admin, e2_security):
        client.force_login(admin)
        assert client.get(reverse("person_detail", args=[secretary_a.pk])).status_code == 404
    # The 安全管理员 of 二公司 does not see 甲党支部's grant; the 系统管理员 grants nothing.
    assert client.post(reverse("membership_revoke", args=[membership.pk])).status_code == 404
    client.force_login(e2_admin)
    assert client.post(reverse("membership_revoke", args=[membership.pk])).status_code == 403
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_leader_post_is_refused_and_changes_nothing(tree, leader, client):
    client.force_login(leader)
    response = client.post(reverse("org_edit", args=[tree.a.pk]), {"name": "改名"})
    assert response.status_code == 403
    tree.a.refresh_from_db()
    assert tree.a.name == "甲党支部"


# The department admin goes last: its successful writes (a deletion, a sign-off) must not
# change what the other roles see in the same row.
ORDER = [r for r in ROLES if r != "dept_admin"] + ["dept_admin"]


@pytest.mark.parametrize(
    ("name", "args", "method", "statuses"),
    [pytest.param(*row, id=f"{row[0]}-{row[1] or ''}-{row[2]}") for row in MATRIX],
)
def test_permission_matrix(subtests, matrix, name, args, method, statuses):
    expected = dict(zip(ROLES, statuses, strict=True))
    target = matrix.objects[args] if args else None
    query = ""
    if isinstance(target, tuple):
        target, query = target
    url = reverse(name, args=target) + query
    for role in ORDER:
        with subtests.test(role=role):
            client = matrix.client(role)
            response = client.get(url) if method == "GET" else client.post(url, {})
            assert response.status_code == expected[role], f"{role} {method} {url}"
