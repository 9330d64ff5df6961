"""URLs of workers/views/console.py (included by workers/urls.py)."""

from django.urls import path

from .views import console

urlpatterns = [
    path("console/workers/", console.worker_list, name="console_list"),
    path("console/workers/coverage/", console.coverage_page, name="console_coverage"),
    path("console/party/", console.party_ledgers, name="console_party"),
    path("console/workers/new/", console.worker_create, name="console_create"),
    path("console/workers/<int:pk>/", console.worker_detail, name="console_detail"),
    path("console/workers/<int:pk>/edit/", console.worker_edit, name="console_edit"),
    path(
        "console/workers/<int:pk>/certificates/<int:cert_pk>/",
        console.certificate_edit,
        name="console_certificate_edit",
    ),
    path(
        "console/workers/<int:pk>/records/<slug:kind>/",
        console.worker_record_add,
        name="console_record_add",
    ),
    path("console/workers/<int:pk>/reveal/", console.worker_reveal, name="console_reveal"),
]
