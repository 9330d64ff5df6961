from __future__ import annotations

from django.db.models import QuerySet

from warmbee.accounts.roles import Perm
from warmbee.accounts.scoping import access

from .models import DataRequest


def data_request_queue(*, actor, status: str = "open") -> QuerySet[DataRequest]:
    qs = DataRequest.objects.visible_to(actor, Perm.HANDLE_DATA_REQUEST).select_related(
        "user", "region"
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("due_at", "pk")


def access_data_request(actor, pk) -> DataRequest:
    return access(DataRequest, actor, Perm.HANDLE_DATA_REQUEST, pk=pk)
