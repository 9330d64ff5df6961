"""Snap-and-report (随手拍): categories, routing rules, reports and their timeline, response
templates and Open311 API clients.

Design: docs/adr/0013-civic-reports-and-open311.md. A report's ``region`` (its scope) is the
region that handles it: the community owning the grid area under the pin, or the region a
routing rule names. The reporter is never shown publicly; public coordinates are rounded to
3 decimals (R31). Photos are stored through ``core.uploads`` and served by access-checked views.
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

CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def new_report_code() -> str:
    """The public id of a report (Open311 ``service_request_id``): short, unguessable."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")
    CONFIRMED = "confirmed", _("Confirmed fixed")
    REOPENED = "reopened", _("Reopened")
    DUPLICATE = "duplicate", _("Duplicate")
    REJECTED = "rejected", _("Rejected")


#: Open311 has two states; WarmBee's richer ones map onto them (status_notes say which).
OPEN_STATUSES = frozenset(
    {Status.SUBMITTED, Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.REOPENED}
)
CLOSED_STATUSES = frozenset({Status.RESOLVED, Status.CONFIRMED, Status.DUPLICATE, Status.REJECTED})
#: Photos of a report are public only once staff have looked at it (R34 moderation).
PHOTOS_PUBLIC = frozenset(
    {Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.RESOLVED, Status.CONFIRMED, Status.REOPENED}
)


class Source(models.TextChoices):
    WEB = "web", _("Phone page")
    OPEN311 = "open311", _("Open311 integration")
    DEMO = "demo", _("Demo data")


class Category(models.Model):
    """What can be reported (data, not code). ``questions`` are the extra typed questions,
    which Open311 publishes as the service definition's attributes:
    ``[{"code", "datatype", "description", "required", "values": [{"key", "name"}], "order"}]``
    with datatype one of string, number, text, singlevaluelist, multivaluelist, datetime."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name (Chinese)"), max_length=40)
    name_en = models.CharField(_("name (English)"), max_length=60)
    description = models.CharField(_("description"), max_length=200, blank=True)
    icon = models.CharField(_("icon"), max_length=8, blank=True)
    group = models.CharField(_("group"), max_length=40, blank=True)
    questions = models.JSONField(_("extra questions"), default=list, blank=True)
    ack_hours = models.PositiveIntegerField(
        _("acknowledge within (hours)"), default=4, validators=[MinValueValidator(1)]
    )
    resolve_hours = models.PositiveIntegerField(
        _("resolve within (hours)"), default=72, validators=[MinValueValidator(1)]
    )
    sort = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("in use"), default=True)

    data_inventory = Inventory(
        retention="permanent",
        general=(
            "id code name name_en description icon group questions ack_hours resolve_hours "
            "sort is_active"
        ),
    )

    class Meta:
        ordering = ["sort", "code"]
        verbose_name = _("report category")
        verbose_name_plural = _("report categories")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.name_en if (get_language() or "").startswith("en") else self.name


class RoutingQuerySet(ScopedQuerySet):
    scope_field = "district"


class RoutingRule(models.Model):
    """Category × grid area → the responsible body, its contacts and the region whose officers
    handle the report. A rule without an area is the district's fallback; without a category
    it covers every category. The most specific active rule wins (ADR 0013)."""

    district = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("district")
    )
    category = models.ForeignKey(
        Category,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="rules",
        verbose_name=_("category"),
    )
    area = models.ForeignKey(
        "regions.GridArea",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("grid area"),
    )
    handler_region = models.ForeignKey(
        "regions.Region",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handled by (region)"),
        help_text=_("Empty: the community that owns the grid area."),
    )
    body = models.CharField(_("responsible body"), max_length=100)
    contacts = models.CharField(_("contacts"), max_length=200, blank=True)
    is_active = models.BooleanField(_("in use"), default=True)

    # A ScopedManager, so ``authorize(obj=rule)`` finds the scope field (``district``).
    objects = ScopedManager.from_queryset(RoutingQuerySet)()

    data_inventory = Inventory(
        retention="permanent",
        general="id district category area handler_region body is_active",
        contact="contacts",
    )

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        constraints = [
            models.UniqueConstraint(
                fields=["district", "category", "area"],
                name="civic_rule_unique",
            )
        ]

    def __str__(self) -> str:
        return self.body


class ReportQuerySet(ScopedQuerySet):
    def public(self) -> ReportQuerySet:
        """What anyone may see: every report, through representations that never read the
        reporter and show text and photos only after moderation (``photos_public``)."""
        return self.unscoped(reason="public report list")


class ReportManager(models.Manager.from_queryset(ReportQuerySet)):
    @property
    def scope_field(self) -> str:
        return "region"


class CivicReport(models.Model):
    """One snap-and-report (随手拍) report."""

    code = models.CharField(max_length=16, unique=True, default=new_report_code, editable=False)
    # No single-column indexes on category and region: the composite indexes below start with
    # them, and every index is one more b-tree each intake writes.
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        related_name="reports",
        verbose_name=_("category"),
        db_index=False,
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.SUBMITTED
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reporter"),
    )
    lat = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    lng = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    description = models.TextField(_("description"), max_length=1000, blank=True)
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    area = models.ForeignKey(
        "regions.GridArea",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("grid area"),
    )
    region = models.ForeignKey(
        "regions.Region",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("handled by"),
        db_index=False,
    )
    routed_body = models.CharField(_("responsible body"), max_length=100, blank=True)
    routed_contacts = models.CharField(_("contacts"), max_length=200, blank=True)
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("duplicate of"),
    )
    status_notes = models.CharField(_("latest response"), max_length=500, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.WEB)
    client = models.ForeignKey(
        "civic.ApiClient", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    idempotency_key = models.CharField(max_length=80, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(_("reported"), db_index=True)
    updated_at = models.DateTimeField(_("updated"))
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    ack_due_at = models.DateTimeField(_("acknowledge by"), null=True, blank=True)
    resolve_due_at = models.DateTimeField(_("resolve by"), null=True, blank=True)
    ack_escalated_at = models.DateTimeField(null=True, blank=True)
    resolve_escalated_at = models.DateTimeField(null=True, blank=True)

    objects = ReportManager()

    data_inventory = Inventory(
        retention="account",
        general=(
            "id code category status address description answers area region routed_body "
            "duplicate_of status_notes source client idempotency_key created_at updated_at "
            "acknowledged_at resolved_at closed_at ack_due_at resolve_due_at ack_escalated_at "
            "resolve_escalated_at"
        ),
        contact="reporter routed_contacts",
        location="lat lng",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        indexes = [
            models.Index(fields=["region", "status"], name="civic_report_region_status"),
            models.Index(fields=["category", "created_at"], name="civic_report_cat_created"),
            # The near-duplicate check: one category, a band of latitude a radius wide.
            models.Index(fields=["category", "lat"], name="civic_report_cat_lat"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def photos_public(self) -> bool:
        return self.status in PHOTOS_PUBLIC


class PhotoKind(models.TextChoices):
    REPORT = "report", _("Reporter's photo")
    FIX = "fix", _("Photo of the fix")


class ReportPhoto(models.Model):
    report = models.ForeignKey(CivicReport, on_delete=models.CASCADE, related_name="photos")
    kind = models.CharField(max_length=8, choices=PhotoKind.choices, default=PhotoKind.REPORT)
    image = models.CharField(max_length=100, unique=True)  # name under MEDIA_ROOT (core.uploads)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # Reached only through its report (already scoped) or ``selectors.photo_for``.
    data_inventory = Inventory(
        retention="account",
        general="id report kind image width height created_at",
        contact="uploaded_by",
    )

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.image


class ReportEvent(models.Model):
    """The timeline of a report: one row per state change (append-only)."""

    report = models.ForeignKey(CivicReport, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, choices=Status.choices)
    note = models.CharField(max_length=500, blank=True)

    data_inventory = Inventory(
        retention="account", general="id report at from_status to_status note", contact="actor"
    )

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.report_id}: {self.from_status} → {self.to_status}"


class ResponseTemplate(models.Model):
    """A canned response (回应模板) staff pick when they change a report's state."""

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    status = models.CharField(_("for status"), max_length=16, choices=Status.choices)
    title = models.CharField(_("title"), max_length=60)
    body = models.CharField(_("text"), max_length=500)
    is_active = models.BooleanField(_("in use"), default=True)

    objects = ScopedManager()

    data_inventory = Inventory(
        retention="permanent", general="id region category status title body is_active"
    )

    class Meta:
        ordering = ["status", "title"]
        verbose_name = _("response template")
        verbose_name_plural = _("response templates")

    def __str__(self) -> str:
        return self.title


class ApiClient(models.Model):
    """An Open311 integration: its API key is shown once and kept only as a SHA-256 hash."""

    name = models.CharField(_("name"), max_length=80)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    key_prefix = models.CharField(max_length=8, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(_("in use"), default=True)

    objects = ScopedManager()

    data_inventory = Inventory(
        retention="permanent",
        general="id name region key_prefix created_at last_used_at is_active",
        contact="created_by",
        credential="key_hash",
    )

    class Meta:
        verbose_name = _("Open311 API key")
        verbose_name_plural = _("Open311 API keys")

    def __str__(self) -> str:
        return self.name
