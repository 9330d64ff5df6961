"""Privacy: versioned notices, separate consents per purpose, and data-subject requests.

* ``Notice``: one published version of the notice for a purpose; never edited, a new version is
  published instead, and a version bump asks for consent again (R25).
* ``Consent``: an account's consent to one purpose under one notice version, with time, channel
  and who recorded it; withdrawn (never deleted), and processing that depends on it stops.
* ``DataRequest``: a correction or deletion asked for by the worker, answered by staff before a
  deadline; a refusal needs a reason (R27).

These belong to the account, not to the worker profile, because casework, aid and events ask for
consents too.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from warmbee.accounts.scoping import ScopedManager, ScopedQuerySet
from warmbee.core.pi import Inventory


class Purpose(models.TextChoices):
    """What a notice covers. ``registry`` is the general notice every registration accepts; the
    others are the sensitive uses that each need their own consent (R25)."""

    REGISTRY = "registry", _("Registration and the programme's services")
    ID_NUMBER = "id_number", _("Resident ID number (aid, insurance, certificates)")
    HEALTH = "health", _("Health checks")
    MENTAL_HEALTH = "mental_health", _("Mental-health services")
    AID_FINANCIAL = "aid_financial", _("Financial data for aid")
    LOCATION = "location", _("Precise location")
    CHILD = "child", _("A child's data (guardian's consent)")
    ID_PHOTO = "id_photo", _("Photo of an ID document")


class Notice(models.Model):
    """One published version of the notice for a purpose. Never edited: publish a new version."""

    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices)
    version = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("text"))
    sha256 = models.CharField(max_length=64, editable=False)
    published_at = models.DateTimeField(_("published"), default=timezone.now)

    data_inventory = Inventory(
        retention="permanent", general="id purpose version title body sha256 published_at"
    )

    class Meta:
        ordering = ["purpose", "-version"]
        verbose_name = _("privacy notice")
        verbose_name_plural = _("privacy notices")
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(fields=["purpose", "version"], name="notice_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"


class Channel(models.TextChoices):
    WEB = "web", _("Online, by the worker")
    STAFF = "staff", _("Recorded by staff")
    PAPER = "paper", _("On paper, recorded by staff")


class ByUserQuerySet(ScopedQuerySet):
    scope_field = "user__region"


class Consent(models.Model):
    """A worker's consent to one purpose under one notice version; withdrawn, never deleted."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consents"
    )
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices)
    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="consents")
    notice_sha256 = models.CharField(max_length=64)
    given_at = models.DateTimeField(_("given"), default=timezone.now)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)

    objects = ScopedManager.from_queryset(ByUserQuerySet)()

    data_inventory = Inventory(
        retention="account",
        general="id user purpose notice notice_sha256 given_at channel recorded_by withdrawn_at",
    )

    class Meta:
        ordering = ["user_id", "purpose", "-given_at"]
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["user", "purpose"],
                condition=Q(withdrawn_at=None),
                name="consent_one_live",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} v{self.notice_id}"


class RequestKind(models.TextChoices):
    CORRECTION = "correction", _("Correct my data")
    DELETION = "deletion", _("Delete my data")


class RequestStatus(models.TextChoices):
    OPEN = "open", _("Waiting")
    DONE = "done", _("Done")
    REFUSED = "refused", _("Refused")
    CANCELLED = "cancelled", _("Cancelled by the worker")


class DataRequest(models.Model):
    """A worker asks for a correction or deletion; staff answer before ``due_at`` (R27)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_requests"
    )
    # The region the request is handled in (the worker's, when the request was made).
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("request"), max_length=12, choices=RequestKind.choices)
    details = models.TextField(_("details"), max_length=1000, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.OPEN
    )
    created_at = models.DateTimeField(_("asked"), default=timezone.now)
    due_at = models.DateTimeField(_("answer due"))
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    handled_at = models.DateTimeField(_("answered"), null=True, blank=True)
    response = models.TextField(_("answer"), max_length=1000, blank=True)

    objects = ScopedManager()

    data_inventory = Inventory(
        retention="account",
        general="id user region kind details status created_at due_at handled_by handled_at "
        "response",
    )

    class Meta:
        ordering = ["status", "due_at"]
        verbose_name = _("data request")
        verbose_name_plural = _("data requests")
        default_permissions = ()

    def __str__(self) -> str:
        return self.get_kind_display()


class ExportKind(models.TextChoices):
    WORKERS_ROSTER = "workers.roster", _("Worker roster (full personal data)")


class ExportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    EXPIRED = "expired", _("Expired (file deleted)")


class ExportRequest(models.Model):
    """A full (unmasked) personal-data export, made only after a second person approves it (R29).

    The file is written when the request is approved, under ``MEDIA_ROOT`` with a random name,
    never served directly: only the requester downloads it, through an access-checked view, until
    ``expires_at``; then ``exports_purge`` deletes it and the request becomes ``expired``.
    """

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # The requester's export scope: the file holds nothing outside it, and only holders of
    # APPROVE_EXPORT over it may decide.
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("export"), max_length=32, choices=ExportKind.choices)
    # The list's query string (the same filters as the page the request was made from).
    filters = models.TextField(_("filters"), max_length=2000, blank=True)
    reason = models.CharField(_("reason"), max_length=500)
    status = models.CharField(
        _("status"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.PENDING
    )
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.CharField(_("note"), max_length=500, blank=True)
    # Name under MEDIA_ROOT ("exports/<32 hex>.xlsx"); empty before approval and after purge.
    file = models.CharField(max_length=100, blank=True, editable=False)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    download_count = models.PositiveIntegerField(_("downloads"), default=0)

    objects = ScopedManager()

    data_inventory = Inventory(
        retention="audit",
        general="id requested_by region kind filters reason status created_at decided_by "
        "decided_at decision_note file row_count expires_at download_count",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("personal-data export")
        verbose_name_plural = _("personal-data exports")
        default_permissions = ()
        indexes = [models.Index(fields=["status", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"
