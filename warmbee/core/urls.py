from django.urls import path

from . import import_views, views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("console/imports/", import_views.job_list, name="import_jobs"),
    path("console/imports/<int:pk>/", import_views.job_detail, name="import_job"),
    path("console/imports/<int:pk>/errors.csv", import_views.job_errors, name="import_job_errors"),
    path("console/imports/<int:pk>/resume/", import_views.job_resume, name="import_job_resume"),
]
