from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from warmbee.accounts.roles import Perm
from warmbee.accounts.scoping import access, has_perm
from warmbee.core.errors import NotFound

from .models import DataRequest, ExportRequest


def data_request_queue(*, actor, status: str = "open") -> QuerySet[DataRequest]:
    qs = DataRequest.objects.visible_to(actor, Perm.HANDLE_DATA_REQUEST).select_related(
        "user", "region"
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("due_at", "pk")


def access_data_request(actor, pk) -> DataRequest:
    return access(DataRequest, actor, Perm.HANDLE_DATA_REQUEST, pk=pk)


# --- approved exports (R29) ------------------------------------------------------------------------
def _exports_visible(actor) -> QuerySet[ExportRequest]:
    """The actor's own requests (within their export scope) and those they may decide on."""
    mine = ExportRequest.objects.visible_to(actor, Perm.EXPORT_PI).filter(requested_by=actor)
    return ExportRequest.objects.visible_to(actor, Perm.APPROVE_EXPORT) | mine


def can_use_exports(actor) -> bool:
    return has_perm(actor, Perm.EXPORT_PI) or has_perm(actor, Perm.APPROVE_EXPORT)


def export_request_list(*, actor, status: str = "") -> QuerySet[ExportRequest]:
    qs = _exports_visible(actor).select_related("requested_by", "decided_by", "region")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-pk")


def access_export_request(actor, pk) -> ExportRequest:
    try:
        return (
            _exports_visible(actor)
            .select_related("requested_by", "decided_by", "region")
            .get(pk=pk)
        )
    except (ExportRequest.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Not found.")) from None
