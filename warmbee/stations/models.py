"""Stations (暖蜂驿站 and their kin), their hours and amenities, check-ins and feedback.

Design: docs/adr/0005-stations-and-the-finder.md. Coordinates are WGS-84; hours are local
(Asia/Shanghai) wall-clock times; the finder reads these tables into an in-memory index
(``finder.py``) and never stores a courier's position (R31).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from warmbee.accounts.scoping import ScopedManager, ScopedQuerySet
from warmbee.core.pi import Inventory

# The mainland and its islands, generously: a station outside is a typing error (lat/lng swapped).
CHINA_LAT = (3.0, 54.0)
CHINA_LNG = (73.0, 136.0)
CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def new_station_code() -> str:
    """A short, unguessable public code for URLs and the QR poster (no 0/o, 1/l/i)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


class Kind(models.TextChoices):
    WARMBEE = "warmbee", _("WarmBee station")
    LOVE = "love", _("Caring station")
    OUTDOOR = "outdoor", _("Outdoor workers' service station")
    COURIER_HOME = "courier_home", _("Couriers' home")
    OTHER = "other", _("Other")


class Tier(models.IntegerChoices):
    ONE = 1, _("Tier 1")
    TWO = 2, _("Tier 2")
    THREE = 3, _("Tier 3")


class LiveStatus(models.TextChoices):
    OPEN = "open", _("Open as scheduled")
    FULL = "full", _("Full")
    CLOSED = "closed", _("Closed for now")
    TEMP_CLOSED = "temp_closed", _("Temporarily closed")


CLOSED_STATUSES = frozenset({LiveStatus.CLOSED, LiveStatus.TEMP_CLOSED})


class Amenity(models.Model):
    """The controlled vocabulary of what a station offers; system administrators extend it."""

    code = models.SlugField(_("code"), primary_key=True, max_length=32)
    name = models.CharField(_("name (Chinese)"), max_length=40)
    name_en = models.CharField(_("name (English)"), max_length=60)
    icon = models.CharField(_("icon"), max_length=8, help_text=_("An emoji shown beside the name."))
    # Position in the finder's bit mask; assigned once, never reused.
    bit = models.PositiveSmallIntegerField(
        _("bit"), unique=True, validators=[MaxValueValidator(62)], editable=False
    )
    sort = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("in use"), default=True)

    data_inventory = Inventory(
        retention="permanent", general="code name name_en icon bit sort is_active"
    )

    class Meta:
        ordering = ["sort", "code"]
        verbose_name = _("amenity")
        verbose_name_plural = _("amenities")

    def __str__(self) -> str:
        return self.label

    def save(self, *args, **kwargs):
        if self.bit is None:
            used = set(Amenity.objects.values_list("bit", flat=True))
            self.bit = next(b for b in range(63) if b not in used)
        super().save(*args, **kwargs)

    @property
    def label(self) -> str:
        return self.name if (get_language() or "zh").startswith("zh") else self.name_en


class ByStationQuerySet(ScopedQuerySet):
    """Rows scoped through their station's region (check-ins, feedback)."""

    scope_field = "station__region"


ByStationManager = ScopedManager.from_queryset(ByStationQuerySet)


class StationManager(ScopedManager):
    def public(self):
        """What anyone may see: public, in-service stations. Carries no personal data (R30)."""
        return (
            self.get_queryset()
            .unscoped(reason="public station directory")
            .filter(is_public=True, is_active=True)
        )


class Station(models.Model):
    code = models.CharField(_("code"), max_length=12, unique=True, default=new_station_code)
    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.WARMBEE)
    tier = models.PositiveSmallIntegerField(_("tier"), choices=Tier.choices, default=Tier.TWO)
    # As written by the officer (and published over HSDS); ``host_org`` is the registry's
    # organisation of that name, when there is exactly one (``stations.services``).
    host_org_name = models.CharField(_("host organisation"), max_length=100, blank=True)
    host_org = models.ForeignKey(
        "orgs.Organisation",
        verbose_name=_("host organisation in the registry"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="stations",
    )
    address = models.CharField(_("address"), max_length=200)
    region = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region")
    )
    lat = models.FloatField(
        _("latitude"), validators=[MinValueValidator(CHINA_LAT[0]), MaxValueValidator(CHINA_LAT[1])]
    )
    lng = models.FloatField(
        _("longitude"),
        validators=[MinValueValidator(CHINA_LNG[0]), MaxValueValidator(CHINA_LNG[1])],
    )
    always_open = models.BooleanField(_("open 24 hours"), default=False)
    # The regular week, local time: [[weekday 0=Monday, "08:00", "20:00"], …]; a closing time at
    # or before the opening time runs past midnight. Written only by ``station_set_hours``.
    weekly_hours = models.JSONField(_("weekly hours"), default=list, blank=True)
    # Bits of the station's amenities (``Amenity.bit``), kept by ``station_set_amenities`` so the
    # finder filters without a join.
    amenity_bits = models.BigIntegerField(default=0, editable=False)
    seats = models.PositiveSmallIntegerField(
        _("seats"), default=0, validators=[MaxValueValidator(500)]
    )
    phone = models.CharField(_("station phone"), max_length=20, blank=True)
    description = models.TextField(_("description"), max_length=500, blank=True)
    is_public = models.BooleanField(_("shown to the public"), default=True)
    is_active = models.BooleanField(_("in service"), default=True)
    status = models.CharField(
        _("live status"), max_length=12, choices=LiveStatus.choices, default=LiveStatus.OPEN
    )
    status_reason = models.CharField(_("reason"), max_length=120, blank=True)
    reopens_at = models.DateTimeField(_("expected to reopen"), null=True, blank=True)
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True)
    hosts = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="StationHost",
        related_name="hosted_stations",
        verbose_name=_("hosts"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StationManager()

    data_inventory = Inventory(
        retention="permanent",
        general=(
            "id code name kind tier host_org_name host_org address region lat lng always_open weekly_hours"
            " amenity_bits seats phone"
            " description is_public is_active status status_reason reopens_at status_changed_at"
            " created_at updated_at"
        ),
    )

    class Meta:
        ordering = ["region_id", "name"]
        verbose_name = _("station")
        verbose_name_plural = _("stations")
        indexes = [models.Index(fields=["is_public", "is_active"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(lat__gte=CHINA_LAT[0], lat__lte=CHINA_LAT[1])
                & models.Q(lng__gte=CHINA_LNG[0], lng__lte=CHINA_LNG[1]),
                name="station_point_in_china",
            ),
            models.CheckConstraint(condition=models.Q(tier__in=[1, 2, 3]), name="station_tier"),
        ]

    def __str__(self) -> str:
        return self.name


class StationHost(models.Model):
    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="host_links")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    since = models.DateTimeField(auto_now_add=True)

    data_inventory = Inventory(retention="account", general="id station user since")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["station", "user"], name="station_host_once")
        ]

    def __str__(self) -> str:
        return f"{self.station_id}:{self.user_id}"


class HoursException(models.Model):
    """A date with different hours (holidays): closed, or open only in the given interval."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="exceptions")
    date = models.DateField(_("date"))
    closed = models.BooleanField(_("closed all day"), default=True)
    opens = models.TimeField(_("opens"), null=True, blank=True)
    closes = models.TimeField(_("closes"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=80, blank=True)

    data_inventory = Inventory(
        retention="permanent", general="id station date closed opens closes note"
    )

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["station", "date"], name="hours_exception_once"),
            models.CheckConstraint(
                condition=models.Q(closed=True)
                | models.Q(opens__isnull=False, closes__isnull=False),
                name="hours_exception_interval",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.station_id}@{self.date}"


class StationAmenity(models.Model):
    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="amenity_links")
    amenity = models.ForeignKey(Amenity, on_delete=models.PROTECT, related_name="+")
    verified_on = models.DateField(_("last verified"))

    data_inventory = Inventory(retention="permanent", general="id station amenity verified_on")

    class Meta:
        ordering = ["amenity__sort", "amenity_id"]
        constraints = [
            models.UniqueConstraint(fields=["station", "amenity"], name="station_amenity_once")
        ]

    def __str__(self) -> str:
        return f"{self.station_id}:{self.amenity_id}"


class StationPhoto(models.Model):
    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="photos")
    image = models.CharField(max_length=100, unique=True)  # name under MEDIA_ROOT (core.uploads)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    caption = models.CharField(_("caption"), max_length=80, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    data_inventory = Inventory(
        retention="permanent",
        general="id station image width height caption uploaded_by created_at",
    )

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.image


class CheckIn(models.Model):
    """A worker's visit, from scanning the door poster. Append-only; one per interval."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="checkins")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(db_index=False)

    objects = ByStationManager()

    data_inventory = Inventory(retention="account", general="id station user created_at")

    class Meta:
        indexes = [
            models.Index(fields=["station", "created_at"], name="checkin_station_time"),
            models.Index(fields=["user", "station", "created_at"], name="checkin_user_station"),
        ]

    def __str__(self) -> str:
        return f"{self.station_id}@{self.created_at:%Y-%m-%d %H:%M}"


class FeedbackKind(models.TextChoices):
    RATING = "rating", _("Rating")
    PROBLEM = "problem", _("Problem report")


class FeedbackStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    RESOLVED = "resolved", _("Resolved")
    DISMISSED = "dismissed", _("Dismissed")


class Feedback(models.Model):
    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="feedback")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=FeedbackKind.choices)
    rating = models.PositiveSmallIntegerField(
        _("rating"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    amenity = models.ForeignKey(
        Amenity,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("about"),
    )
    text = models.CharField(_("what happened"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=FeedbackStatus.choices, default=FeedbackStatus.OPEN
    )
    response = models.CharField(_("response"), max_length=300, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    objects = ByStationManager()

    data_inventory = Inventory(
        retention="account",
        general=(
            "id station user kind rating amenity text status response handled_by handled_at"
            " created_at"
        ),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["station", "status", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="problem") | models.Q(rating__isnull=False),
                name="feedback_rating_has_stars",
            ),
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="feedback_rating_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"
