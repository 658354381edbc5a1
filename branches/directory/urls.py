from django.urls import path

from . import views

urlpatterns = [
    path("accounts/sso/oidc/", views.oidc_login, name="oidc_login"),
    path("accounts/sso/oidc/callback/", views.oidc_callback, name="oidc_callback"),
    path("accounts/sso/cas/", views.cas_login, name="cas_login"),
    path("people/directory-roles/", views.role_proposals, name="role_proposals"),
    path(
        "people/directory-roles/<int:pk>/confirm/",
        views.role_proposal_confirm,
        name="role_proposal_confirm",
    ),
    path(
        "people/directory-roles/<int:pk>/reject/",
        views.role_proposal_reject,
        name="role_proposal_reject",
    ),
]
