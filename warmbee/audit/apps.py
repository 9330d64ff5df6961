from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "warmbee.audit"
    label = "audit"
    verbose_name = _("Audit")

    def ready(self) -> None:
        from . import guard  # noqa: F401  (registers the SQLite guard function)
