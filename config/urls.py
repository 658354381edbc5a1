from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import IsAuthenticated

from assessments.api.urls import api_urlpatterns as assessment_api
from assessments.views import home
from branches import views as branch_views
from branches.api.access import TokenAuthentication
from branches.api.urls import api_urlpatterns as branch_api
from branches.directory import views as directory_views
from branches.forms import LoginForm
from branches.second_factor import urls as second_factor_urls

admin.site.site_header = "党支部标准化考评 · 管理后台"
admin.site.site_title = "党支部标准化考评"
admin.site.index_title = "数据管理"

handler400 = "branches.toolkit.params.bad_request"
handler500 = "branches.toolkit.outages.server_error"

urlpatterns = [
    path("", home.home, name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            authentication_form=LoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("accounts/logout/", directory_views.sign_out, name="logout"),
    path(
        "accounts/password/",
        branch_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("accounts/second-factor/", include(second_factor_urls.account_urlpatterns)),
    path("", include(second_factor_urls.urlpatterns)),
    path("", include("branches.urls")),
    path("", include("rubrics.urls")),
    path("", include("assessments.urls")),
    path("admin/", admin.site.urls),
    # The REST API: its schema for a token or a logged-in person, its docs page (Swagger
    # UI from the drf-spectacular-sidecar package, no CDN) for a logged-in person.
    path("api/v1/", include(branch_api + assessment_api)),
    path(
        "api/schema/",
        SpectacularAPIView.as_view(
            authentication_classes=[TokenAuthentication, SessionAuthentication],
            permission_classes=[IsAuthenticated],
        ),
        name="api_schema",
    ),
    path(
        "api/docs/",
        login_required(
            SpectacularSwaggerSplitView.as_view(
                url_name="api_schema", template_name="branches/api_docs.html"
            )
        ),
        name="api_docs",
    ),
]
