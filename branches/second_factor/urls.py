from django.urls import path

from . import views

# Under /accounts/second-factor/ (middleware.PREFIX): what a user who still owes the
# second factor may open.
account_urlpatterns = [
    path("verify/", views.verify, name="second_factor_verify"),
    path("enrol/", views.enrol, name="second_factor_enrol"),
    path("recovery-codes/", views.recovery_codes, name="second_factor_recovery_codes"),
    path(
        "recovery-codes.txt",
        views.recovery_codes_download,
        name="second_factor_recovery_codes_download",
    ),
]

# The 安全管理员's page.
urlpatterns = [
    path("people/second-factor/", views.people, name="second_factor_people"),
    path("people/<int:pk>/second-factor/reset/", views.reset, name="second_factor_reset"),
]
