"""Aid programmes, applications, their timeline, evidence and the disbursement ledger (ADR 0016).

The money rules are in the database as well as in the services:

* money is integer fen;
* a programme keeps ``budget_fen ≥ reserved_fen ≥ disbursed_fen ≥ 0`` under CHECK constraints;
  approving an application reserves its amount with one conditional UPDATE, paying it moves the
  amount to ``disbursed_fen`` (R36, R37);
* ``Disbursement`` rows are append-only, one per application, each with a unique idempotency
  key (R38);
* one application per worker (per person, through the ID number's blind index) per programme
  cycle: a unique ``dedupe_key``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from warmbee.accounts.scoping import ScopedManager, ScopedQuerySet
from warmbee.core.pi import Inventory

from .choices import (
    Action,
    AppStatus,
    BenefitKind,
    Channel,
    EntryKind,
    ProgrammeKind,
    ProgrammeStatus,
)


class AidProgramme(models.Model):
    """帮扶项目: one programme and one cycle of it (``cycle``: "2026", "2026 秋季" …)."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=24, choices=ProgrammeKind.choices)
    description = models.TextField(_("description"), max_length=2000, blank=True)
    # The owning body (a union, a department) and the region it serves: applications come from
    # workers in this region and below.
    owner = models.ForeignKey(
        "orgs.Organisation",
        verbose_name=_("owning body"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    cycle = models.CharField(_("cycle"), max_length=20)
    opens_on = models.DateField(_("open from"))
    closes_on = models.DateField(_("open until"))
    status = models.CharField(
        _("status"), max_length=8, choices=ProgrammeStatus.choices, default=ProgrammeStatus.DRAFT
    )
    benefit = models.CharField(_("benefit"), max_length=8, choices=BenefitKind.choices)
    # Fixed: amount_fen. Range: min_fen..max_fen, the approver sets the amount. Goods: goods,
    # with amount_fen as the value per recipient counted against the budget (0 allowed).
    amount_fen = models.PositiveBigIntegerField(_("amount (fen)"), default=0)
    min_fen = models.PositiveBigIntegerField(_("smallest amount (fen)"), default=0)
    max_fen = models.PositiveBigIntegerField(_("largest amount (fen)"), default=0)
    goods = models.CharField(_("goods or service"), max_length=200, blank=True)
    budget_fen = models.PositiveBigIntegerField(_("budget (fen)"))
    reserved_fen = models.PositiveBigIntegerField(_("approved (fen)"), default=0, editable=False)
    disbursed_fen = models.PositiveBigIntegerField(_("paid (fen)"), default=0, editable=False)
    # Data, not code (ADR 0016): [{"kind": "union_member", "months": 6}, …] (aid/eligibility.py)
    eligibility = models.JSONField(_("eligibility rules"), default=list, blank=True)
    # [{"key": "child_name", "label": "…", "type": "text|number|yesno", "required": true,
    #   "child": true}] — a "child" question needs the guardian's consent (R25).
    questions = models.JSONField(_("questions"), default=list, blank=True)
    # [{"key": "certificate", "label": "…", "required": true}]: photos (core/uploads.py).
    evidence = models.JSONField(_("required evidence"), default=list, blank=True)
    # [{"label": "区县初审", "level": "county"}, {"label": "市级审批", "level": "prefecture"}]:
    # every step but the last reviews, the last approves; at least two (R39).
    review_steps = models.JSONField(_("review steps"), default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = ScopedManager()

    data_inventory = Inventory(
        retention="permanent",
        general="id name kind description owner region cycle opens_on closes_on status benefit "
        "goods eligibility questions evidence review_steps created_by created_at",
        financial="amount_fen min_fen max_fen budget_fen reserved_fen disbursed_fen",
    )

    class Meta:
        ordering = ["-opens_on", "-id"]
        verbose_name = _("aid programme")
        verbose_name_plural = _("aid programmes")
        default_permissions = ()
        constraints = [
            models.CheckConstraint(
                condition=Q(reserved_fen__lte=F("budget_fen")), name="aid_reserved_le_budget"
            ),
            models.CheckConstraint(
                condition=Q(disbursed_fen__lte=F("reserved_fen")),
                name="aid_disbursed_le_reserved",
            ),
            models.CheckConstraint(condition=Q(min_fen__lte=F("max_fen")), name="aid_min_le_max"),
            models.CheckConstraint(
                condition=Q(closes_on__gte=F("opens_on")), name="aid_programme_period"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.cycle})"

    @property
    def left_fen(self) -> int:
        return self.budget_fen - self.reserved_fen

    @property
    def step_count(self) -> int:
        return len(self.review_steps or [])


class ByApplicationQuerySet(ScopedQuerySet):
    scope_field = "application__region"


class AidApplication(models.Model):
    """帮扶申请: a worker's application to one programme cycle."""

    programme = models.ForeignKey(
        AidProgramme, on_delete=models.PROTECT, related_name="applications"
    )
    worker = models.ForeignKey("workers.Worker", on_delete=models.PROTECT, related_name="+")
    # The worker's region when they applied: what scope is decided on.
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    # blind_index(programme, cycle, person): one application per person per cycle.
    dedupe_key = models.CharField(max_length=64, unique=True, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=AppStatus.choices, default=AppStatus.APPLIED
    )
    # The review step an applied or reviewed application waits for (0-based); a new round
    # starts at 0 after a resubmission or an appeal.
    step = models.PositiveSmallIntegerField(default=0)
    round = models.PositiveSmallIntegerField(default=1)
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    # Asked for (range benefits), then fixed at approval.
    amount_fen = models.PositiveBigIntegerField(_("amount (fen)"), default=0)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # The account of the person the application is about (empty for workers without one).
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    consent_financial = models.ForeignKey(
        "privacy.Consent", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    consent_child = models.ForeignKey(
        "privacy.Consent", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Staff entry: the worker (or guardian) signed the paper consent form, kept on file.
    consent_paper = models.BooleanField(default=False)
    note = models.CharField(_("note"), max_length=500, blank=True)  # last return / reject reason
    appealed = models.BooleanField(_("appealed"), default=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("applied"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    # While in review: when the current step is due (AID_REVIEW_DAYS after reaching it), and
    # when it was escalated for being late (once per step).
    review_due_at = models.DateTimeField(_("review due"), null=True, blank=True)
    review_escalated_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager()

    data_inventory = Inventory(
        retention="account",
        general="id programme worker region dedupe_key status step round channel entered_by "
        "applicant consent_financial consent_child consent_paper note appealed approved_by "
        "created_at updated_at review_due_at review_escalated_at",
        financial="amount_fen",
        minor="answers",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("aid application")
        verbose_name_plural = _("aid applications")
        default_permissions = ()
        indexes = [
            models.Index(fields=["programme", "status"]),
            models.Index(fields=["region", "status"]),
            models.Index(fields=["worker"]),
            models.Index(fields=["review_due_at"], name="aid_application_review_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=AppStatus.values), name="aid_application_status"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_status_display()}"

    def audit_label(self) -> str:
        return f"aid#{self.pk} {self.worker.masked_name}"

    @property
    def review_overdue(self) -> bool:
        """The current review step is past its deadline (``core.deadlines`` escalates it)."""
        return bool(self.review_due_at and self.review_due_at < timezone.now())

    @property
    def step_label(self) -> str:
        steps = self.programme.review_steps or []
        return steps[self.step]["label"] if self.step < len(steps) else ""

    @property
    def is_final_step(self) -> bool:
        return self.step == self.programme.step_count - 1


class AidStep(models.Model):
    """One event in an application's life: who did what at which step. Append-only."""

    application = models.ForeignKey(AidApplication, on_delete=models.CASCADE, related_name="steps")
    round = models.PositiveSmallIntegerField()
    step = models.PositiveSmallIntegerField()
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(_("note"), max_length=500, blank=True)
    at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager.from_queryset(ByApplicationQuerySet)()

    data_inventory = Inventory(
        retention="account", general="id application round step action actor note at"
    )

    class Meta:
        ordering = ["application_id", "at", "id"]
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.at:%Y-%m-%d}"


class AidEvidence(models.Model):
    """A photo for one of the programme's evidence items (re-encoded, served access-checked)."""

    application = models.ForeignKey(
        AidApplication, on_delete=models.CASCADE, related_name="evidence"
    )
    key = models.CharField(max_length=40)
    image = models.CharField(max_length=100, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager.from_queryset(ByApplicationQuerySet)()

    data_inventory = Inventory(
        retention="account", general="id application key image uploaded_by uploaded_at"
    )

    class Meta:
        ordering = ["application_id", "key", "id"]
        default_permissions = ()

    def __str__(self) -> str:
        return self.key


class AppendOnly(Exception):
    pass


class Disbursement(models.Model):
    """发放: one payment or handover, recorded once (append-only, R36; idempotent, R38)."""

    programme = models.ForeignKey(AidProgramme, on_delete=models.PROTECT, related_name="ledger")
    application = models.OneToOneField(
        AidApplication, on_delete=models.PROTECT, related_name="disbursement"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=EntryKind.choices)
    amount_fen = models.PositiveBigIntegerField(_("amount (fen)"))
    idempotency_key = models.CharField(max_length=64, unique=True)
    # Handovers: where it was signed for (a station, an event) and the recipient's signature
    # (a photo of the signed form).
    station = models.ForeignKey(
        "stations.Station", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    place = models.CharField(_("where"), max_length=100, blank=True)
    signature = models.CharField(max_length=100, blank=True, editable=False)
    reference = models.CharField(_("payment reference"), max_length=64, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager.from_queryset(ByApplicationQuerySet)()

    data_inventory = Inventory(
        retention="audit",
        general="id programme application kind station place signature by at",
        financial="amount_fen idempotency_key reference",
    )

    class Meta:
        ordering = ["programme_id", "at", "id"]
        verbose_name = _("disbursement")
        verbose_name_plural = _("disbursements")
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount_fen / 100:.2f}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly("disbursements are append-only")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("disbursements are append-only")


class PaymentListStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    EXPIRED = "expired", _("Expired (file deleted)")


class PaymentList(models.Model):
    """The payment list of a programme for the finance office: asked for by one officer,
    approved by another, masked and watermarked, gone after ``EXPORT_TTL_HOURS`` (R29, the
    pattern of ``privacy.ExportRequest``)."""

    programme = models.ForeignKey(AidProgramme, on_delete=models.PROTECT, related_name="+")
    # The requester's scope for DISBURSE: the list holds approved applications within it.
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=500)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=PaymentListStatus.choices,
        default=PaymentListStatus.PENDING,
    )
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    file = models.CharField(max_length=100, blank=True, editable=False)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    total_fen = models.PositiveBigIntegerField(_("total (fen)"), default=0)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)

    objects = ScopedManager()

    data_inventory = Inventory(
        retention="audit",
        general="id programme region requested_by reason status created_at decided_by "
        "decided_at file row_count expires_at",
        financial="total_fen",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        default_permissions = ()

    def __str__(self) -> str:
        return f"payment list #{self.pk}"
