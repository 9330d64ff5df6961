from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AidConfig(AppConfig):
    name = "warmbee.aid"
    verbose_name = _("Aid programmes")

    def ready(self) -> None:
        # Review-step deadlines, escalated by the shared scheduler (``escalate_overdue``).
        from . import services

        services.register_deadlines()
