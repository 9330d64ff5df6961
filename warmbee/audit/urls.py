from django.urls import path

from . import views

app_name = "audit"
urlpatterns = [
    path("console/audit/", views.console_events, name="console_events"),
]
