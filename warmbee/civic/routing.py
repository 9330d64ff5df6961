"""Where a report goes: the grid area under the pin, then the most specific routing rule.

Resolution (ADR 0013): the active grid area containing the pin (``regions.grids``, an STRtree;
deterministic on shared edges) gives the owning community and its district. Among the district's
active rules the most specific wins: (category, area) → (any category, area) → (category,
district-wide) → (any category, district-wide). Without any rule the owning community handles it.
A pin outside every grid area is refused with an error naming the ``location`` field.

Everything routing reads besides the grid index (active categories, the districts' active rules,
the regions above each area) is a ``core.snapshot.Snapshot`` (ADR 0018): an intake runs no query
to route. It also holds the active Open311 keys and,
per region, the officers a new report is sent to. Saving or deleting a category, rule, key,
region, role grant or account invalidates it (signals, so the admin's changes count too); row
counts back up the shared token when the cache is down (R45), and a change is seen everywhere
within ``GRID_REFRESH_SECONDS``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _

from warmbee.core.errors import DomainError
from warmbee.core.snapshot import Snapshot
from warmbee.regions import grids
from warmbee.regions.models import Level, Region

from .models import ApiClient, Category, RoutingRule

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


@dataclass
class Config:
    """What routing reads, as of one moment. ``places`` fills in as areas' owners are met."""

    categories: dict[str, Category]  # the active ones, by code
    rules: dict[str, list[RoutingRule]]  # the active rules by district code
    clients: dict[str, ApiClient]  # the active Open311 keys, by hash
    places: dict[str, tuple[Region, Region]] = field(
        default_factory=dict
    )  # owner → (owner, district)
    handlers_by_region: dict[str, list] = field(default_factory=dict)  # region → handlers

    def category(self, code: str) -> Category | None:
        return self.categories.get(code)

    def place(self, owner_code: str) -> tuple[Region, Region]:
        found = self.places.get(owner_code)
        if found is None:
            owner = Region.objects.get(code=owner_code)
            found = self.places[owner_code] = (owner, district_of(owner))
        return found

    def handlers(self, region: Region) -> list:
        """The active accounts holding HANDLE_REPORT at the nearest level at or above
        ``region``: the officers a new report there is sent to."""
        found = self.handlers_by_region.get(region.pk)
        if found is None:
            found = self.handlers_by_region[region.pk] = _handlers(region)
        return found


def _handlers(region: Region) -> list:
    from warmbee.accounts.models import RoleAssignment
    from warmbee.accounts.roles import ROLE_PERMS, Perm

    roles = [role for role, perms in ROLE_PERMS.items() if Perm.HANDLE_REPORT in perms]
    parts = [p for p in region.path.split("/") if p]
    grants = list(
        RoleAssignment.objects.unscoped(reason="who handles reports in a region")
        .filter(role__in=roles, region_id__in=parts, user__is_active=True)
        .select_related("user", "region")
        .order_by("-region__path", "user_id")
    )
    if not grants:
        return []
    nearest = grants[0].region.path
    users = {g.user_id: g.user for g in grants if g.region.path == nearest}
    return list(users.values())


def _build(_key: tuple) -> Config:
    rules: dict[str, list[RoutingRule]] = {}
    for rule in (
        RoutingRule.objects.unscoped(reason="routing table")
        .filter(is_active=True)
        .select_related("handler_region")
        .order_by("id")
    ):
        rules.setdefault(rule.district_id, []).append(rule)
    categories = {c.code: c for c in Category.objects.filter(is_active=True)}
    clients = {
        c.key_hash: c
        for c in ApiClient.objects.unscoped(reason="Open311 keys").filter(is_active=True)
    }
    return Config(categories=categories, rules=rules, clients=clients)


def _counts() -> tuple:
    return (
        Category.objects.count(),
        RoutingRule.objects.unscoped(reason="routing freshness").count(),
        ApiClient.objects.unscoped(reason="routing freshness").filter(is_active=True).count(),
        Region.objects.count(),
    )


_snapshot: Snapshot[Config] = Snapshot(
    "civic:routing:version",
    _build,
    refresh=lambda: settings.GRID_REFRESH_SECONDS,
    fingerprint=_counts,
)


def config() -> Config:
    return _snapshot.get()


def invalidate(update_fields=None, **_kwargs) -> None:
    if update_fields and set(update_fields) <= {"last_login", "last_used_at"}:
        return  # a login or a key's use changes nothing routing reads
    _snapshot.invalidate()


def reset() -> None:
    _snapshot.reset()


def _connect() -> None:
    from django.contrib.auth import get_user_model

    from warmbee.accounts.models import RoleAssignment

    for model in (Category, RoutingRule, ApiClient, Region, RoleAssignment, get_user_model()):
        uid = f"civic-routing-{model._meta.label}"
        post_save.connect(invalidate, sender=model, dispatch_uid=uid)
        post_delete.connect(invalidate, sender=model, dispatch_uid=uid + "-delete")


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
    conf = config()
    owner, district = conf.place(area.region_id)
    best = None
    best_rank = -1
    for rule in conf.rules.get(district.pk, ()):
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
