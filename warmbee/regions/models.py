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
