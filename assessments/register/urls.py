from django.urls import path

from . import views

urlpatterns = [
    path("", views.document_register, name="document_register"),
    path("export.xlsx", views.document_register_export, name="document_register_export"),
]
