from django.urls import path

from .views import console, public

app_name = "civic"
urlpatterns = [
    path("report/", public.report_form, name="report"),
    path("report/nearby/", public.nearby, name="nearby"),
    path("report/sent/<str:code>/", public.report_sent, name="report_sent"),
    path("report/photos/<int:pk>/", public.photo, name="photo"),
    path("me/reports/", public.my_reports, name="my_reports"),
    path("me/reports/<str:code>/", public.my_report, name="my_report"),
    path("me/reports/<str:code>/answer/", public.my_report_answer, name="my_report_answer"),
    path("console/reports/", console.queue, name="console_queue"),
    path("console/reports/figures/", console.figures, name="console_figures"),
    path("console/reports/<str:code>/", console.report_detail, name="console_report"),
    path("console/reports/<str:code>/act/", console.report_act, name="console_report_act"),
]
