from django.urls import path

from . import views

app_name = "points"
urlpatterns = [
    path("me/points/", views.me_points, name="me_points"),
    path("me/points/code/", views.me_new_code, name="me_new_code"),
    path("me/points/redemptions/<int:pk>/", views.me_redemption, name="me_redemption"),
    path("me/points/redemptions/<int:pk>/confirm/", views.me_confirm, name="me_confirm"),
    path("me/points/redemptions/<int:pk>/decline/", views.me_decline, name="me_decline"),
    path("host/stations/<str:code>/redeem/", views.host_redeem, name="host_redeem"),
    path(
        "host/stations/<str:code>/redeem/<int:pk>/",
        views.host_redemption,
        name="host_redemption",
    ),
    path(
        "host/stations/<str:code>/redeem/<int:pk>/cancel/",
        views.host_redemption_cancel,
        name="host_redemption_cancel",
    ),
    path("host/stations/<str:code>/goods/", views.host_goods, name="host_goods"),
    path(
        "host/stations/<str:code>/goods/<int:pk>/",
        views.host_goods_update,
        name="host_goods_update",
    ),
    path("console/points/", views.console_points, name="console_points"),
    path("console/points/accounts/<int:pk>/", views.console_account, name="console_account"),
    path("console/points/accounts/<int:pk>/adjust/", views.console_adjust, name="console_adjust"),
    path("console/points/entries/<int:pk>/reverse/", views.console_reverse, name="console_reverse"),
    path(
        "console/points/adjustments/<int:pk>/approve/",
        views.console_approve,
        name="console_approve",
    ),
    path(
        "console/points/adjustments/<int:pk>/reject/",
        views.console_reject,
        name="console_reject",
    ),
]
