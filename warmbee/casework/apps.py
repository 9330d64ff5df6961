from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseworkConfig(AppConfig):
    name = "warmbee.casework"
    verbose_name = _("Help requests")
