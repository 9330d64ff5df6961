"""URLs of workers/views/console.py (included by workers/urls.py)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
