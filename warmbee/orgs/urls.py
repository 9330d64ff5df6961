from django.urls import path

from . import views

app_name = "orgs"
urlpatterns = [
    path("console/orgs/", views.org_list, name="console_org_list"),
    path("console/orgs/new/", views.org_create, name="org_create"),
    path("console/orgs/<int:pk>/", views.org_detail, name="console_org_detail"),
    path("console/orgs/<int:pk>/edit/", views.org_edit, name="org_edit"),
    path("console/outlets/", views.outlet_list, name="console_outlet_list"),
    path("console/outlets/<int:pk>/", views.outlet_detail, name="console_outlet_detail"),
    path("console/outlets/new/", views.outlet_create, name="outlet_create"),
    path("console/outlets/<int:pk>/edit/", views.outlet_edit, name="outlet_edit"),
    path("console/outlets/import/", views.outlet_import, name="outlet_import"),
    path("console/outlets/import/template/", views.outlet_template, name="outlet_template"),
]
