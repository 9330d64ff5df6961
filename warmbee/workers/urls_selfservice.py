"""URLs of workers/views/selfservice.py (included by workers/urls.py)."""

from django.urls import path

from .views import selfservice

urlpatterns = [
    path("register/", selfservice.register, name="register"),
    path("register/outlets/", selfservice.register_outlets, name="register_outlets"),
    path("login/code/", selfservice.code_login, name="code_login"),
    path("me/data/", selfservice.me_data, name="me_data"),
    path("me/data.json", selfservice.me_data_download, {"fmt": "json"}, name="me_data_json"),
    path("me/data.csv", selfservice.me_data_download, {"fmt": "csv"}, name="me_data_csv"),
    path("me/privacy/", selfservice.me_privacy, name="me_privacy"),
    path("me/privacy/change/", selfservice.me_privacy_change, name="me_privacy_change"),
    path("me/requests/", selfservice.me_requests, name="me_requests"),
]
