"""The aid app: programmes, eligibility, applications, maker-checker review, disbursement."""

from django.urls import path

from .views import console, selfservice

app_name = "aid"
urlpatterns = [
    # The worker's pages.
    path("me/aid/", selfservice.programmes, name="me_programmes"),
    path("me/aid/programmes/<int:pk>/apply/", selfservice.apply, name="me_apply"),
    path("me/aid/applications/<int:pk>/", selfservice.application, name="me_application"),
    path(
        "me/aid/applications/<int:pk>/<str:action>/",
        selfservice.application_act,
        name="me_application_act",
    ),
    path("me/aid/evidence/<int:pk>/", selfservice.evidence, name="me_evidence"),
    # Staff.
    path("console/aid/", console.programmes, name="console_programmes"),
    path("console/aid/figures/", console.figures, name="console_figures"),
    path("console/aid/programmes/new/", console.programme_new, name="console_programme_new"),
    path("console/aid/programmes/<int:pk>/", console.programme, name="console_programme"),
    path(
        "console/aid/programmes/<int:pk>/status/",
        console.programme_status,
        name="console_programme_status",
    ),
    path("console/aid/programmes/<int:pk>/enter/", console.enter, name="console_enter"),
    path(
        "console/aid/programmes/<int:pk>/payment-lists/",
        console.payment_list_new,
        name="console_payment_list_new",
    ),
    path("console/aid/applications/<int:pk>/", console.application, name="console_application"),
    path(
        "console/aid/applications/<int:pk>/<str:action>/",
        console.application_act,
        name="console_application_act",
    ),
    path("console/aid/evidence/<int:pk>/", console.evidence, name="console_evidence"),
    path(
        "console/aid/payment-lists/<int:pk>/approve/",
        console.payment_list_approve,
        name="console_payment_list_approve",
    ),
    path(
        "console/aid/payment-lists/<int:pk>/download/",
        console.payment_list_download,
        name="console_payment_list_download",
    ),
]
