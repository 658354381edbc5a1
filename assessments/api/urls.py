from django.urls import path

from . import views

# Mounted under api/v1/ by config/urls.py.
api_urlpatterns = [
    path("campaigns/", views.CampaignList.as_view(), name="api_campaigns"),
    path("campaigns/<int:pk>/", views.CampaignDetail.as_view(), name="api_campaign"),
    path("campaigns/<int:pk>/results/", views.ResultList.as_view(), name="api_results"),
    path("rectifications/", views.RectificationList.as_view(), name="api_rectifications"),
    path("organizations/<str:code>/meetings/", views.MeetingList.as_view(), name="api_meetings"),
]
