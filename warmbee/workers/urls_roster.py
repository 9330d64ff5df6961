"""URLs of workers/views/roster.py (included by workers/urls.py)."""

from django.urls import path

from .views import roster

urlpatterns = [
    path("console/workers/import/", roster.roster_import, name="roster_import"),
    path("console/workers/import/template/", roster.roster_template, name="roster_template"),
    path("console/workers/export/", roster.roster_export, name="roster_export"),
]
