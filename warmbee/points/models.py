"""The points app: points accounts and the append-only ledger: earn by rule, redeem at a station.

* ``EarnRule`` rows are data: what each earning event is worth (``civic.report_confirmed`` …).
* ``PointsAccount`` is one per worker. ``balance`` is a cached sum of the account's entries,
  kept by conditional ``UPDATE … SET balance = balance + x WHERE balance + x >= 0`` in the same
  transaction as the entry, and a ``CHECK (balance >= 0)`` in the database (R36, R37).
* ``LedgerEntry`` rows are never changed or deleted: corrections are reversing entries. Each
  carries a unique idempotency key: a retried request finds the first entry (R38).
* ``Goods`` are a tier-1/2 station's catalogue; ``Redemption`` is the host's request that the
  worker confirms on their phone; ``Adjustment`` is an officer's manual correction, approved by
  a second officer above ``POINTS_ADJUST_APPROVAL_THRESHOLD`` (R7).

ADR 0014 explains the design.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from warmbee.accounts.scoping import ScopedManager, ScopedQuerySet
from warmbee.core.pi import Inventory, mask_name

# Unambiguous characters for the personal code a host may type (no 0/O, 1/I/L).
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8


def new_redeem_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


class AppendOnly(Exception):
    """Raised on any attempt to change or delete a ledger entry (R36)."""


class EarnRule(models.Model):
    """What an earning event is worth. ``code`` is what the calling app passes."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    points = models.PositiveIntegerField(_("points"))
    is_active = models.BooleanField(_("active"), default=True)

    data_inventory = Inventory(retention="permanent", general="id code name points is_active")

    class Meta:
        ordering = ["code"]
        verbose_name = _("earning rule")
        verbose_name_plural = _("earning rules")
        default_permissions = ()
        constraints = [
            models.CheckConstraint(condition=Q(points__gt=0), name="points_rule_positive")
        ]

    def __str__(self) -> str:
        return f"{self.code} (+{self.points})"


class PointsAccount(models.Model):
    worker = models.OneToOneField(
        "workers.Worker",
        verbose_name=_("worker"),
        on_delete=models.PROTECT,
        related_name="points_account",
    )
    # The worker's region when the account was opened (scope); moved with the worker.
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    balance = models.IntegerField(_("balance"), default=0, editable=False)
    # The personal code under the worker's QR. It only starts a request: spending needs the
    # worker's own confirmation on their phone. The worker may replace it at any time.
    redeem_code = models.CharField(
        _("personal code"), max_length=CODE_LENGTH, unique=True, default=new_redeem_code
    )
    created_at = models.DateTimeField(_("opened"), default=timezone.now)

    objects = ScopedManager()

    data_inventory = Inventory(
        retention="account", general="id worker region balance redeem_code created_at"
    )

    class Meta:
        verbose_name = _("points account")
        verbose_name_plural = _("points accounts")
        default_permissions = ()
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="points_balance_not_negative")
        ]

    def __str__(self) -> str:
        return f"{mask_name(self.worker.name)}: {self.balance}"

    def audit_label(self) -> str:
        return f"points:{self.pk}"


class Kind(models.TextChoices):
    EARN = "earn", _("Earned")
    REDEEM = "redeem", _("Redeemed")
    REVERSE = "reverse", _("Reversed")
    EXPIRE = "expire", _("Expired")
    ADJUST = "adjust", _("Adjusted")


class ByAccountQuerySet(ScopedQuerySet):
    scope_field = "account__region"


class LedgerEntry(models.Model):
    """One signed movement of points. Append-only: no update, no delete."""

    account = models.ForeignKey(
        PointsAccount, on_delete=models.PROTECT, related_name="entries", verbose_name=_("account")
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    points = models.IntegerField(_("points"))
    idempotency_key = models.CharField(max_length=100, unique=True)
    rule = models.ForeignKey(
        EarnRule, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # What the entry is about, as "<app>:<kind>:<id>" (a report, a redemption, an adjustment).
    source = models.CharField(_("source"), max_length=100, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    # One reversal per entry: the one-to-one is a unique constraint in the database.
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    # Earned points that have not been spent expire from this time (``points_expire_due``).
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    objects = ScopedManager.from_queryset(ByAccountQuerySet)()

    data_inventory = Inventory(
        retention="account",
        general="id account kind points idempotency_key rule source note reverses expires_at "
        "actor created_at",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        default_permissions = ()
        indexes = [
            models.Index(fields=["account", "-created_at", "-id"], name="points_entry_recent"),
            models.Index(fields=["kind", "created_at"], name="points_entry_kind_time"),
            models.Index(fields=["expires_at"], name="points_entry_expiry"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(points=0), name="points_entry_not_zero"),
            models.CheckConstraint(
                condition=Q(kind__in=["earn"], points__gt=0)
                | Q(kind__in=["redeem", "expire"], points__lt=0)
                | Q(kind__in=["reverse", "adjust"]),
                name="points_entry_sign",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.points:+d}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise AppendOnly("ledger entries are append-only; write a reversing entry")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("ledger entries are append-only; write a reversing entry")


class ByStationQuerySet(ScopedQuerySet):
    scope_field = "station__region"


class Goods(models.Model):
    """An item of a tier-1/2 station's catalogue."""

    station = models.ForeignKey(
        "stations.Station",
        on_delete=models.CASCADE,
        related_name="goods",
        verbose_name=_("station"),
    )
    name = models.CharField(_("name"), max_length=60)
    points = models.PositiveIntegerField(_("points each"))
    stock = models.IntegerField(_("in stock"), default=0)
    is_active = models.BooleanField(_("offered"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager.from_queryset(ByStationQuerySet)()

    data_inventory = Inventory(
        retention="permanent",
        general="id station name points stock is_active created_at updated_at",
    )

    class Meta:
        ordering = ["station_id", "points", "name"]
        verbose_name = _("goods")
        verbose_name_plural = _("goods")
        default_permissions = ()
        constraints = [
            models.CheckConstraint(condition=Q(stock__gte=0), name="points_goods_stock"),
            models.CheckConstraint(condition=Q(points__gt=0), name="points_goods_cost"),
            models.UniqueConstraint(fields=["station", "name"], name="points_goods_name"),
        ]

    def __str__(self) -> str:
        return self.name


class RedemptionStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the worker")
    CONFIRMED = "confirmed", _("Redeemed")
    DECLINED = "declined", _("Declined")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Timed out")


class Redemption(models.Model):
    """A host's request to hand goods over for points, confirmed by the worker."""

    station = models.ForeignKey(
        "stations.Station", on_delete=models.PROTECT, related_name="+", verbose_name=_("station")
    )
    account = models.ForeignKey(PointsAccount, on_delete=models.PROTECT, related_name="redemptions")
    goods = models.ForeignKey(Goods, on_delete=models.PROTECT, related_name="redemptions")
    quantity = models.PositiveSmallIntegerField(_("quantity"))
    points = models.PositiveIntegerField(_("points"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=RedemptionStatus.choices,
        default=RedemptionStatus.PENDING,
    )
    # The host's form token: a double-clicked or retried "start" creates one request (R38).
    idempotency_key = models.CharField(max_length=100, unique=True)
    host = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    entry = models.OneToOneField(
        LedgerEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="redemption"
    )
    created_at = models.DateTimeField(_("started"), default=timezone.now)
    expires_at = models.DateTimeField(_("confirm by"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    objects = ScopedManager.from_queryset(ByStationQuerySet)()

    data_inventory = Inventory(
        retention="account",
        general="id station account goods quantity points status idempotency_key host entry "
        "created_at expires_at decided_at",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
        default_permissions = ()
        indexes = [
            models.Index(fields=["account", "status"], name="points_redemption_account"),
            models.Index(fields=["station", "-created_at"], name="points_redemption_station"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="points_redemption_qty"),
            models.CheckConstraint(
                condition=Q(status="confirmed", entry__isnull=False)
                | (~Q(status="confirmed") & Q(entry__isnull=True)),
                name="points_redemption_entry",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.goods_id}×{self.quantity} ({self.status})"

    def audit_label(self) -> str:
        return f"redemption:{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status == RedemptionStatus.PENDING and self.expires_at > timezone.now()


class AdjustmentStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPLIED = "applied", _("Applied")
    REJECTED = "rejected", _("Rejected")


class Adjustment(models.Model):
    """An officer's manual correction of a worker's points, with a reason."""

    account = models.ForeignKey(PointsAccount, on_delete=models.PROTECT, related_name="adjustments")
    points = models.IntegerField(_("points"))
    reason = models.CharField(_("reason"), max_length=200)
    status = models.CharField(
        _("status"),
        max_length=8,
        choices=AdjustmentStatus.choices,
        default=AdjustmentStatus.PENDING,
    )
    idempotency_key = models.CharField(max_length=100, unique=True)
    maker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    checker = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision_note = models.CharField(_("note"), max_length=200, blank=True)
    entry = models.OneToOneField(
        LedgerEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="adjustment"
    )
    created_at = models.DateTimeField(_("proposed"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    objects = ScopedManager.from_queryset(ByAccountQuerySet)()

    data_inventory = Inventory(
        retention="account",
        general="id account points reason status idempotency_key maker checker decision_note "
        "entry created_at decided_at",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("points adjustment")
        verbose_name_plural = _("points adjustments")
        default_permissions = ()
        indexes = [models.Index(fields=["status", "-created_at"], name="points_adjust_queue")]
        constraints = [
            models.CheckConstraint(condition=~Q(points=0), name="points_adjust_not_zero"),
            models.CheckConstraint(
                condition=Q(checker__isnull=True) | ~Q(checker=models.F("maker")),
                name="points_adjust_two_people",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.points:+d} ({self.status})"

    def audit_label(self) -> str:
        return f"adjustment:{self.pk}"
