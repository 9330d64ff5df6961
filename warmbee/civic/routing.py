"""Where a report goes: the grid area under the pin, then the most specific routing rule.

Resolution (ADR 0013): the active grid area containing the pin (``regions.grids``, an STRtree;
deterministic on shared edges) gives the owning community and its district. Among the district's
active rules the most specific wins: (category, area) → (any category, area) → (category,
district-wide) → (any category, district-wide). Without any rule the owning community handles it.
A pin outside every grid area is refused with an error naming the ``location`` field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from warmbee.core.errors import DomainError
from warmbee.regions import grids
from warmbee.regions.models import Level, Region

from .models import Category, RoutingRule

EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True)
class Route:
    area: object  # regions.GridArea
    region: Region
    body: str
    contacts: str


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine), metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def district_of(region: Region) -> Region:
    """The county-level region at or above ``region`` (itself when higher)."""
    parts = [p for p in region.path.split("/") if p]
    by_code = {r.code: r for r in Region.objects.filter(code__in=parts)}
    for code in parts:
        r = by_code.get(code)
        if r is not None and r.level == Level.COUNTY:
            return r
    return region


def outside_error() -> DomainError:
    return DomainError(
        _("This spot is outside every grid area of the programme. Move the pin to the place."),
        code="out_of_area",
        field="location",
    )


def route(category: Category, lat: float, lng: float) -> Route:
    area = grids.area_for_point(lat, lng)
    if area is None:
        raise outside_error()
    owner = Region.objects.get(code=area.region_id)
    district = district_of(owner)
    rules = (
        RoutingRule.objects.unscoped(reason="routing a report")
        .filter(district=district, is_active=True)
        .select_related("handler_region")
    )
    best = None
    best_rank = -1
    for rule in rules:
        if rule.area_id not in (None, area.pk) or rule.category_id not in (None, category.pk):
            continue
        rank = (2 if rule.area_id else 0) + (1 if rule.category_id else 0)
        if rank > best_rank:
            best, best_rank = rule, rank
    if best is None:
        return Route(area=area, region=owner, body=owner.name, contacts="")
    return Route(
        area=area,
        region=best.handler_region or owner,
        body=best.body,
        contacts=best.contacts,
    )
