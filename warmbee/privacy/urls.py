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
]
