from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from django.db.models import Q, QuerySet
from django.utils import timezone

from warmbee.accounts.roles import Perm
from warmbee.accounts.scoping import authorize, scope_q

from . import chain
from .models import AuditEvent


@dataclass
class AuditFilters:
    action: str = ""
    actor_id: int | None = None
    region_code: str = ""
    result: str = ""
    target: str = ""
    date_from: date | None = None
    date_to: date | None = None


def audit_event_list(*, actor, filters: AuditFilters) -> QuerySet[AuditEvent]:
    """Audit rows for auditors: events in their region, and events with no region (logins)."""
    authorize(actor, Perm.VIEW_AUDIT)
    qs = AuditEvent.objects.filter(Q(region__isnull=True) | scope_q(actor, Perm.VIEW_AUDIT))
    if filters.action:
        qs = qs.filter(action__startswith=filters.action)
    if filters.actor_id:
        qs = qs.filter(actor_id=filters.actor_id)
    if filters.region_code:
        qs = qs.filter(region__path__contains=f"/{filters.region_code}/")
    if filters.result:
        qs = qs.filter(result=filters.result)
    if filters.target:
        qs = qs.filter(Q(target_id=filters.target) | Q(target_type=filters.target))
    tz = timezone.get_current_timezone()
    if filters.date_from:
        qs = qs.filter(at__gte=datetime.combine(filters.date_from, time.min, tz))
    if filters.date_to:
        qs = qs.filter(at__lt=datetime.combine(filters.date_to, time.max, tz))
    return qs.order_by("-id")


def verify_chain(batch: int = 5000) -> tuple[int, chain.Break | None]:
    fields = ("id", "prev_hash", "hash", *chain.CHAINED_FIELDS)

    def rows():
        last = 0
        while True:
            page = list(
                AuditEvent.objects.filter(id__gt=last).order_by("id").values(*fields)[:batch]
            )
            if not page:
                return
            yield from page
            last = page[-1]["id"]

    return chain.verify(rows())
