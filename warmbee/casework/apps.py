from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseworkConfig(AppConfig):
    name = "warmbee.casework"
    verbose_name = _("Help requests")

    def ready(self) -> None:
        # First-response and resolution deadlines, escalated by the shared scheduler (every
        # 5 minutes, ``escalate_overdue``).
        from warmbee.core import deadlines

        from . import services

        deadlines.register(
            "casework.response",
            overdue=services.overdue_responses,
            escalate=services.escalate_response,
        )
        deadlines.register(
            "casework.resolution",
            overdue=services.overdue_resolutions,
            escalate=services.escalate_resolution,
        )
        # What a health request held is erased some years after it closed (R28).
        from warmbee.core import retention

        retention.register(
            "casework.health_contents",
            expired=services.health_contents_expired,
            purge=services.health_contents_purge,
        )
