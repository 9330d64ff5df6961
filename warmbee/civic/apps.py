from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CivicConfig(AppConfig):
    name = "warmbee.civic"
    verbose_name = _("Snap-and-report")

    def ready(self) -> None:
        from . import routing
        from .services import register_deadlines

        register_deadlines()
        routing._connect()
