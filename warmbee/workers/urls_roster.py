"""URLs of workers/views/roster.py (included by workers/urls.py)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
