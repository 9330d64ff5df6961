"""The casework app: help requests (求助) at the 五师一室 desks (ADR 0015).

* ``HelpRequest`` — one request, which becomes a case once a desk takes it: what kind of help,
  the worker's words (encrypted), urgency, channel, the desk and provider handling it, deadlines
  and escalations, outcome and the worker's rating.
* ``CaseEntry`` — the case's timeline: contacts, actions, internal notes and messages for the
  worker, each body encrypted at rest; status changes are entries too.
* ``CaseConsent`` — the worker's consent to share the case with the desk's provider or with a
  referral target, under a versioned notice (R25); withdrawn, never deleted.
* ``Referral`` — a case handed to 12351 / 12355, a legal-aid centre, a hospital or a court.
* ``DeskMember`` — a provider account staffing an ``orgs.ServiceDesk``: supervisor or not, on
  duty or not. The provider role's grant gives a region; membership gives the cases.
* ``CrisisTerm`` — the maintained list of words (Chinese and English) that mark a request urgent.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from warmbee.accounts.scoping import ScopedManager, ScopedQuerySet
from warmbee.core.crypto import EncryptedTextField
from warmbee.core.pi import Inventory, mask_name, mask_phone
from warmbee.orgs.models import Desk


class Kind(models.TextChoices):
    """What kind of help: the six desks, a hotline referral, or something else."""

    LEGAL_AID = Desk.LEGAL_AID.value, _("Legal advice (legal-aid lawyer)")
    LABOUR_RELATIONS = Desk.LABOUR_RELATIONS.value, _("Wages, contracts, outlet disputes")
    ENTREPRENEURSHIP = Desk.ENTREPRENEURSHIP.value, _("Starting a business (mentor)")
    LABOUR_SAFETY = Desk.LABOUR_SAFETY.value, _("Accidents and safety at work")
    HEALTH = Desk.HEALTH.value, _("Physical or mental health, stress")
    MEDIATION = Desk.MEDIATION.value, _("Mediating a dispute")
    HOTLINE = "hotline", _("Pass me to a hotline (12351 / 12355)")
    OTHER = "other", _("Something else")


class Channel(models.TextChoices):
    SELF = "self", _("The worker, online")
    HOTLINE = "hotline", _("Hotline operator")
    STATION = "station", _("Station host")
    WALK_IN = "walk_in", _("Walk-in desk")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")


class ContactBy(models.TextChoices):
    PHONE = "phone", _("Phone call")
    SMS = "sms", _("Text message")
    IN_APP = "in_app", _("Messages here")
    VISIT = "visit", _("I will come to the desk")


class Status(models.TextChoices):
    NEW = "new", _("Waiting for a desk")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    CLOSED = "closed", _("Case closed")


OPEN_STATUSES = (Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS)


class Outcome(models.TextChoices):
    RESOLVED = "resolved", _("Resolved")
    REFERRED = "referred", _("Referred elsewhere")
    WITHDRAWN = "withdrawn", _("Withdrawn by the worker")
    UNREACHABLE = "unreachable", _("The worker could not be reached")


class CaseQuerySet(ScopedQuerySet):
    scope_field = "region"


class HelpRequest(models.Model):
    """A help request and the case it becomes. Contents (``description``, the rating's comment)
    are encrypted; officers read only the metadata (``META_FIELDS``)."""

    region = models.ForeignKey(
        "regions.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind of help"), max_length=20, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    urgency = models.CharField(
        _("urgency"), max_length=8, choices=Urgency.choices, default=Urgency.NORMAL
    )
    # Set by the crisis word list (never by the client): shows hotlines and alerts the desk.
    crisis = models.BooleanField(_("crisis words"), default=False)
    description = EncryptedTextField(_("what happened"))
    contact_by = models.CharField(
        _("preferred contact"), max_length=8, choices=ContactBy.choices, default=ContactBy.PHONE
    )
    # The worker's account (null for a walk-in without one), and the contact details given.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="help_requests",
    )
    contact_name = models.CharField(_("name"), max_length=64)
    contact_phone = models.CharField(_("mobile number"), max_length=20, blank=True)
    # Who logged it (the worker themself, or a hotline operator / host / desk on their behalf).
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    desk = models.ForeignKey(
        "orgs.ServiceDesk",
        verbose_name=_("desk"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("provider"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)
    created_at = models.DateTimeField(_("asked"))
    assigned_at = models.DateTimeField(_("assigned"), null=True, blank=True)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    response_due_at = models.DateTimeField(_("first response due"))
    resolution_due_at = models.DateTimeField(_("resolution due"))
    response_escalated_at = models.DateTimeField(null=True, blank=True)
    resolution_escalated_at = models.DateTimeField(null=True, blank=True)
    reopened_count = models.PositiveSmallIntegerField(default=0)
    rating = models.PositiveSmallIntegerField(
        _("rating"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    rating_comment = EncryptedTextField(_("comment"))
    rated_at = models.DateTimeField(null=True, blank=True)
    # When the contents (description, comment, timeline texts) were erased by retention (R28).
    contents_purged_at = models.DateTimeField(_("contents erased"), null=True, blank=True)

    objects = ScopedManager.from_queryset(CaseQuerySet)()

    data_inventory = Inventory(
        retention="account",
        general="id region kind channel urgency contact_by user logged_by desk handled_by status "
        "outcome created_at assigned_at first_response_at closed_at response_due_at "
        "resolution_due_at response_escalated_at resolution_escalated_at reopened_count rating "
        "rated_at contact_name contents_purged_at",
        contact="contact_phone",
        health="crisis description rating_comment",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("help request")
        verbose_name_plural = _("help requests")
        default_permissions = ()
        indexes = [
            models.Index(fields=["status", "response_due_at"]),
            models.Index(fields=["status", "resolution_due_at"]),
            models.Index(fields=["desk", "status"]),
            models.Index(fields=["handled_by", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="case_rating_1_5",
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | ~Q(outcome=""), name="case_closed_has_outcome"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()}"

    def audit_label(self) -> str:
        # Never contents: the number and the kind only.
        return f"case #{self.pk} {self.kind}"

    @property
    def number(self) -> str:
        return f"{self.created_at:%Y%m%d}-{self.pk:05d}" if self.pk else ""

    @property
    def masked_name(self) -> str:
        return mask_name(self.contact_name)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.contact_phone)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


# Fields anyone who may know a case exists may see (officers' list and figures, R4).
META_FIELDS = (
    "id",
    "region_id",
    "kind",
    "channel",
    "urgency",
    "desk_id",
    "status",
    "outcome",
    "created_at",
    "assigned_at",
    "first_response_at",
    "closed_at",
    "response_due_at",
    "resolution_due_at",
    "response_escalated_at",
    "resolution_escalated_at",
    "reopened_count",
    "rating",
)


class EntryKind(models.TextChoices):
    CONTACT = "contact", _("Contact with the worker")
    ACTION = "action", _("Action taken")
    NOTE = "note", _("Internal note")
    MESSAGE = "message", _("Message to the worker")
    WORKER = "worker", _("Message from the worker")
    STATUS = "status", _("Status change")


# Entries a worker sees on their own case: what the provider wrote for them, what they wrote,
# and the status changes. Contacts, actions and internal notes stay with the desk.
WORKER_VISIBLE = (EntryKind.MESSAGE, EntryKind.WORKER, EntryKind.STATUS)


class ByCaseQuerySet(ScopedQuerySet):
    scope_field = "case__region"


class CaseEntry(models.Model):
    """One line of a case's timeline. ``body`` is encrypted; status entries carry ``event``."""

    case = models.ForeignKey(HelpRequest, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(_("kind"), max_length=8, choices=EntryKind.choices)
    body = EncryptedTextField(_("text"))
    # For status entries: "assigned", "closed:resolved", "reopened" … (no contents).
    event = models.CharField(max_length=40, blank=True)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    objects = ScopedManager.from_queryset(ByCaseQuerySet)()

    data_inventory = Inventory(
        retention="account", general="id case kind event written_by created_at", health="body"
    )

    class Meta:
        ordering = ["created_at", "id"]
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def for_worker(self) -> bool:
        return self.kind in WORKER_VISIBLE


class ConsentScope(models.TextChoices):
    PROVIDER = "provider", _("Share with the desk's provider")
    REFERRAL = "referral", _("Share with the service I am referred to")


class CaseConsent(models.Model):
    """The worker's consent to share a case, under one version of the notice (R25)."""

    case = models.ForeignKey(HelpRequest, on_delete=models.CASCADE, related_name="consents")
    scope = models.CharField(_("sharing"), max_length=10, choices=ConsentScope.choices)
    # For a referral: whom it may be shared with ("12351", "大庆市法律援助中心" …).
    target = models.CharField(_("shared with"), max_length=100, blank=True)
    notice_version = models.PositiveSmallIntegerField()
    notice_sha256 = models.CharField(max_length=64)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    given_at = models.DateTimeField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager.from_queryset(ByCaseQuerySet)()

    data_inventory = Inventory(
        retention="account",
        general="id case scope target notice_version notice_sha256 channel recorded_by given_at "
        "withdrawn_at",
    )

    class Meta:
        ordering = ["case_id", "given_at"]
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.get_scope_display()} v{self.notice_version}"


class ReferralTarget(models.TextChoices):
    UNION_HOTLINE = "12351", _("Union rights hotline 12351")
    YOUTH_HOTLINE = "12355", _("Youth League hotline 12355")
    LEGAL_AID_CENTRE = "legal_aid_centre", _("Legal-aid centre")
    HOSPITAL = "hospital", _("Hospital")
    COURT = "court", _("Court")
    OTHER = "other", _("Other service")


class Referral(models.Model):
    """A case handed on, with the consent it was shared under."""

    case = models.ForeignKey(HelpRequest, on_delete=models.CASCADE, related_name="referrals")
    target = models.CharField(_("referred to"), max_length=20, choices=ReferralTarget.choices)
    target_name = models.CharField(_("name of the service"), max_length=100, blank=True)
    consent = models.ForeignKey(CaseConsent, on_delete=models.PROTECT, related_name="+")
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    objects = ScopedManager.from_queryset(ByCaseQuerySet)()

    data_inventory = Inventory(
        retention="account", general="id case target target_name consent made_by created_at"
    )

    class Meta:
        ordering = ["created_at", "id"]
        default_permissions = ()

    def __str__(self) -> str:
        return self.get_target_display()


class ByDeskQuerySet(ScopedQuerySet):
    scope_field = "desk__region"


class DeskMember(models.Model):
    """A provider staffing a desk. Supervisors read every case of the desk and reassign."""

    desk = models.ForeignKey("orgs.ServiceDesk", on_delete=models.CASCADE, related_name="staff")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="desk_memberships"
    )
    is_supervisor = models.BooleanField(_("supervisor"), default=False)
    on_duty = models.BooleanField(_("on duty"), default=True)
    added_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager.from_queryset(ByDeskQuerySet)()

    data_inventory = Inventory(
        retention="account", general="id desk user is_supervisor on_duty added_at"
    )

    class Meta:
        ordering = ["desk_id", "-is_supervisor", "user_id"]
        default_permissions = ()
        constraints = [models.UniqueConstraint(fields=["desk", "user"], name="desk_member_unique")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.desk}"


class CrisisCategory(models.TextChoices):
    SELF_HARM = "self_harm", _("Self-harm or suicide")
    VIOLENCE = "violence", _("Violence")
    CHILD = "child", _("A child at risk")
    OTHER = "other", _("Other emergency")


class CrisisTerm(models.Model):
    """A word or phrase that marks a request urgent (maintained by the system administrator).

    Matching is on normalised text (NFKC, case-folded, without spaces or punctuation)."""

    term = models.CharField(_("word or phrase"), max_length=40)
    language = models.CharField(
        _("language"), max_length=8, choices=[("zh", "中文"), ("en", "English")]
    )
    category = models.CharField(_("category"), max_length=10, choices=CrisisCategory.choices)
    is_active = models.BooleanField(_("active"), default=True)

    data_inventory = Inventory(retention="permanent", general="id term language category is_active")

    class Meta:
        ordering = ["category", "language", "term"]
        verbose_name = _("crisis word")
        verbose_name_plural = _("crisis words")
        default_permissions = ("add", "change", "delete", "view")
        constraints = [models.UniqueConstraint(fields=["term"], name="crisis_term_unique")]

    def __str__(self) -> str:
        return self.term
