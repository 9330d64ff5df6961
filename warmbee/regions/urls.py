from django.urls import path

from . import views

app_name = "regions"
urlpatterns = [
    path("console/grids/", views.grid_list, name="console_grids"),
    path("console/grids/import/", views.grid_import_page, name="console_grid_import"),
]
