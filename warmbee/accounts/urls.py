from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("accounts/login/", views.login_view, name="login"),
    path("accounts/logout/", views.logout_view, name="logout"),
    path("accounts/mfa/", views.mfa_view, name="mfa"),
    path("accounts/mfa/enrol/", views.mfa_enrol_view, name="mfa_enrol"),
    path("accounts/activate/<str:uidb64>/<str:token>/", views.activate_view, name="activate"),
    path("accounts/me/", views.me_view, name="me"),
    path("accounts/reauth/", views.reauth_view, name="reauth"),
    path("console/users/", views.console_users, name="console_users"),
    path("console/users/new/", views.console_user_create, name="console_user_create"),
    path("console/users/<int:pk>/", views.console_user, name="console_user"),
    path(
        "console/users/<int:pk>/disable/", views.console_user_disable, name="console_user_disable"
    ),
    path("console/users/<int:pk>/enable/", views.console_user_enable, name="console_user_enable"),
    path(
        "console/users/<int:pk>/activation/",
        views.console_user_activation,
        name="console_user_activation",
    ),
    path("console/users/<int:pk>/grants/", views.console_user_grant, name="console_user_grant"),
    path(
        "console/users/<int:pk>/grants/<int:grant_pk>/revoke/",
        views.console_user_revoke,
        name="console_user_revoke",
    ),
    path("console/users/<int:pk>/unlock/", views.console_user_unlock, name="console_user_unlock"),
    path(
        "console/users/<int:pk>/mfa-reset/",
        views.console_user_mfa_reset,
        name="console_user_mfa_reset",
    ),
]
