"""Reads of the regions app: grid areas, narrowed to what the actor may see."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from warmbee.accounts.roles import Perm

from .models import GridArea, Region


def grid_area_list(
    *, actor, region: Region | None = None, q: str = "", active: bool | None = True
) -> QuerySet[GridArea]:
    """Grid areas the actor may see, with their community (and its parent) loaded."""
    qs = GridArea.objects.visible_to(actor, Perm.VIEW_GRID).select_related(
        "region", "region__parent"
    )
    if region is not None:
        qs = qs.filter(region__path__startswith=region.path)
    for word in (q or "").split()[:5]:
        qs = qs.filter(Q(code__icontains=word) | Q(name__contains=word) | Q(region__name=word))
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs.order_by("region__path", "code")
