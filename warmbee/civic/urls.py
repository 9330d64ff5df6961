from django.urls import path

from .views import config, console, public

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
    # Configuration (MANAGE_CIVIC): the routing table, response templates, Open311 API keys and
    # the (global) report categories.
    path("console/civic/routing/", config.rule_list, name="console_rules"),
    path("console/civic/routing/new/", config.rule_create, name="console_rule_create"),
    path("console/civic/routing/<int:pk>/", config.rule_edit, name="console_rule_edit"),
    path(
        "console/civic/routing/<int:pk>/deactivate/",
        config.rule_deactivate,
        name="console_rule_deactivate",
    ),
    path(
        "console/civic/routing/<int:pk>/reactivate/",
        config.rule_reactivate,
        name="console_rule_reactivate",
    ),
    path("console/civic/templates/", config.template_list, name="console_templates"),
    path("console/civic/templates/new/", config.template_create, name="console_template_create"),
    path("console/civic/templates/<int:pk>/", config.template_edit, name="console_template_edit"),
    path(
        "console/civic/templates/<int:pk>/retire/",
        config.template_retire,
        name="console_template_retire",
    ),
    path(
        "console/civic/templates/<int:pk>/reinstate/",
        config.template_reinstate,
        name="console_template_reinstate",
    ),
    path("console/civic/api-keys/", config.api_key_list, name="console_api_keys"),
    path("console/civic/api-keys/new/", config.api_key_create, name="console_api_key_create"),
    path(
        "console/civic/api-keys/<int:pk>/revoke/",
        config.api_key_revoke,
        name="console_api_key_revoke",
    ),
    path("console/civic/categories/", config.category_list, name="console_categories"),
    path("console/civic/categories/new/", config.category_create, name="console_category_create"),
    path("console/civic/categories/<int:pk>/", config.category_edit, name="console_category_edit"),
    path(
        "console/civic/categories/<int:pk>/retire/",
        config.category_retire,
        name="console_category_retire",
    ),
    path(
        "console/civic/categories/<int:pk>/reinstate/",
        config.category_reinstate,
        name="console_category_reinstate",
    ),
]
