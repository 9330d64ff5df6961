from django.urls import path

from . import views

app_name = "privacy"
urlpatterns = [
    path("console/data-requests/", views.request_queue, name="console_requests"),
    path(
        "console/data-requests/<int:pk>/handle/",
        views.request_handle,
        name="console_request_handle",
    ),
    path("console/exports/", views.export_list, name="console_exports"),
    path("console/exports/new/", views.export_new, name="console_export_new"),
    path("console/exports/<int:pk>/", views.export_detail, name="console_export_detail"),
    path("console/exports/<int:pk>/decide/", views.export_decide, name="console_export_decide"),
    path(
        "console/exports/<int:pk>/download/",
        views.export_download,
        name="console_export_download",
    ),
]
