"""The casework app: help requests at the 五师一室 desks: triage, assignment, confidential notes,
deadlines (ADR 0015)."""

from django.urls import path

from . import views

app_name = "casework"
urlpatterns = [
    # The worker's phone pages.
    path("help/", views.my_list, name="my_list"),
    path("help/new/", views.ask, name="ask"),
    path("help/<int:pk>/", views.my_case, name="my_case"),
    path("help/<int:pk>/reply/", views.my_reply, name="my_reply"),
    path("help/<int:pk>/withdraw/", views.my_withdraw, name="my_withdraw"),
    path("help/<int:pk>/rate/", views.my_rate, name="my_rate"),
    path("help/<int:pk>/reopen/", views.my_reopen, name="my_reopen"),
    # Providers: the queue and the case; hotline operators, desks and hosts log requests.
    path("console/cases/", views.queue, name="queue"),
    path("console/cases/duty/", views.duty, name="duty"),
    path("console/cases/new/", views.log_request, name="log"),
    path("console/cases/<int:pk>/", views.case, name="case"),
    path("console/cases/<int:pk>/entries/", views.case_entry, name="case_entry"),
    path("console/cases/<int:pk>/close/", views.case_close, name="case_close"),
    path("console/cases/<int:pk>/reveal/", views.case_reveal, name="case_reveal"),
    path("console/cases/<int:pk>/refer/", views.case_refer, name="case_refer"),
    path("console/cases/<int:pk>/assign/", views.case_assign, name="case_assign"),
    path("console/cases/<int:pk>/reopen/", views.case_reopen, name="case_reopen"),
    # Officers: figures and the list of cases (desk, status, times — never contents).
    path("console/casework/", views.figures, name="figures"),
    path("console/casework/desks/", views.desks, name="desks"),
    path("console/casework/desks/members/", views.desk_member_add, name="desk_member_add"),
    path(
        "console/casework/desks/members/<int:pk>/remove/",
        views.desk_member_remove,
        name="desk_member_remove",
    ),
]
