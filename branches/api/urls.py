from django.urls import path

from . import views

# The token pages (the 安全管理员's), beside the people pages.
urlpatterns = [
    path("people/api-tokens/", views.api_tokens, name="api_tokens"),
    path("people/api-tokens/new/", views.api_token_create, name="api_token_create"),
    path("people/api-tokens/<int:pk>/", views.api_token_detail, name="api_token_detail"),
    path("people/api-tokens/<int:pk>/revoke/", views.api_token_revoke, name="api_token_revoke"),
]

# The API itself (mounted under api/v1/ by config/urls.py).
api_urlpatterns = [
    path("organizations/", views.OrganizationList.as_view(), name="api_organizations"),
    path("organizations/<str:code>/", views.OrganizationDetail.as_view(), name="api_organization"),
    path("organizations/<str:code>/members/", views.MemberList.as_view(), name="api_members"),
]
