"""The administrative-division tree (GB/T 2260) that scopes every record."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from warmbee.core.pi import Inventory

ROOT_CODE = "000000"


class Level(models.TextChoices):
    COUNTRY = "country", _("Country")
    PROVINCE = "province", _("Province")
    PREFECTURE = "prefecture", _("Prefecture")
    COUNTY = "county", _("County / district")
    TOWNSHIP = "township", _("Township / street")
    COMMUNITY = "community", _("Community / village")


LEVEL_ORDER = [choice.value for choice in Level]


class RegionQuerySet(models.QuerySet):
    def within(self, region: Region) -> RegionQuerySet:
        """The region and everything below it (one indexed prefix match)."""
        return self.filter(path__startswith=region.path)

    def current(self) -> RegionQuerySet:
        return self.filter(retired=False)


class Region(models.Model):
    """One administrative division. ``path`` is ``/<code>/<code>/…/`` from the country root, so
    "this region and everything below" is ``path__startswith=region.path`` on every engine."""

    code = models.CharField(_("code"), max_length=12, primary_key=True)
    name = models.CharField(_("name"), max_length=64)
    level = models.CharField(_("level"), max_length=12, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("path"), max_length=160, unique=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    point_source = models.CharField(_("point source"), max_length=16, blank=True)
    retired = models.BooleanField(_("retired"), default=False)
    table_version = models.CharField(_("table version"), max_length=32, blank=True)

    objects = RegionQuerySet.as_manager()

    data_inventory = Inventory(
        retention="permanent",
        general="code name level parent path lng lat point_source retired table_version",
    )

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["path"]
        indexes = [models.Index(fields=["parent", "name"], name="region_parent_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return self.path.count("/") - 1

    def ancestors(self) -> list[Region]:
        codes = [c for c in self.path.strip("/").split("/") if c and c != self.code]
        by_code = {r.code: r for r in Region.objects.filter(code__in=codes)}
        return [by_code[c] for c in codes if c in by_code]

    def full_name(self) -> str:
        names = [r.name for r in self.ancestors() if r.level != Level.COUNTRY]
        return "".join([*names, self.name])

    def contains(self, other: Region) -> bool:
        return other.path.startswith(self.path)


# Imported here, below Region: accounts.roles imports this module for ``Level``.
from warmbee.accounts.scoping import ScopedManager  # noqa: E402


class GridArea(models.Model):
    """A grid area (网格): a polygon owned by a community (or street / township) region.

    ``region`` is the owner and the scope field: an officer sees the grid areas under their
    grants. ``geometry`` is a GeoJSON Polygon or MultiPolygon in WGS-84 ``[lng, lat]``; the bbox
    columns are derived from it on save. Point routing (``grids.area_for_point``) reads the
    active areas into an in-process index (ADR 0012).
    """

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    region = models.ForeignKey(
        Region,
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="grid_areas",
    )
    geometry = models.JSONField(_("boundary"))
    min_lat = models.FloatField(_("southern edge"))
    min_lng = models.FloatField(_("western edge"))
    max_lat = models.FloatField(_("northern edge"))
    max_lng = models.FloatField(_("eastern edge"))
    is_active = models.BooleanField(_("in use"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ScopedManager()

    data_inventory = Inventory(
        retention="permanent",
        general=(
            "id code name region geometry min_lat min_lng max_lat max_lng is_active "
            "created_at updated_at"
        ),
    )

    class Meta:
        verbose_name = _("grid area")
        verbose_name_plural = _("grid areas")
        ordering = ["code"]
        indexes = [models.Index(fields=["region", "code"], name="gridarea_region_code")]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def audit_label(self) -> str:
        return self.code

    def set_bbox(self) -> None:
        """Fill the bbox columns from ``geometry`` (call before save when geometry changes)."""
        lngs, lats = [], []
        for lng, lat in _coordinates(self.geometry):
            lngs.append(float(lng))
            lats.append(float(lat))
        self.min_lng, self.max_lng = min(lngs), max(lngs)
        self.min_lat, self.max_lat = min(lats), max(lats)


def _coordinates(geometry: dict):
    """Every ``[lng, lat]`` position of a GeoJSON Polygon or MultiPolygon."""
    kind, coords = geometry.get("type"), geometry.get("coordinates") or []
    polygons = [coords] if kind == "Polygon" else coords
    for polygon in polygons:
        for ring in polygon:
            for position in ring:
                yield position[0], position[1]
