"""Workers (couriers, riders, drivers) and what is recorded about them.

The most sensitive data in the platform lives here, so the rules are in the models:

* A ``Worker`` has only what registration needs (name, mobile, company, outlet: R26). The
  resident ID number is asked for only by flows that need it (aid, insurance, certificates),
  stored encrypted (``id_number``, AES-GCM) with a keyed hash beside it (``id_number_index``) for
  exact look-up and de-duplication (R24), and masked everywhere unless revealed (R22, R23).
* Every row is scoped by the worker's region (``visible_to``); the party ledgers are visible only
  to party-organisation roles.
* Moving outlet keeps the history (``Employment``).
* Consents, notices and data-subject requests are kept per account in ``warmbee.privacy``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from warmbee.accounts.scoping import ScopedManager, ScopedQuerySet
from warmbee.core.crypto import EncryptedTextField
from warmbee.core.pi import Inventory, mask_id_number, mask_name, mask_phone


class WorkerKind(models.TextChoices):
    COURIER = "courier", _("Courier")
    RIDER = "rider", _("Food-delivery rider")
    DRIVER = "driver", _("Ride-hailing driver")
    TRUCKER = "trucker", _("Freight driver")
    OTHER = "other", _("Other outdoor worker")


class WorkerStatus(models.TextChoices):
    ACTIVE = "active", _("Working")
    LEFT = "left", _("Left the trade")
    ERASED = "erased", _("Erased at the worker's request")


class Source(models.TextChoices):
    SELF = "self", _("Registered themselves")
    STAFF = "staff", _("Entered by staff")
    IMPORT = "import", _("Imported from a roster")


class Worker(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="worker",
    )
    name = models.CharField(_("name"), max_length=64)
    # Space-separated pinyin readings of the name (every reading of a heteronym: 单 → dan shan),
    # full and initials, for search in pinyin (``workers.search``). Written by services.
    name_pinyin = models.CharField(max_length=400, blank=True, editable=False)
    phone = models.CharField(_("mobile number"), max_length=20, db_index=True)
    kind = models.CharField(
        _("kind of work"), max_length=12, choices=WorkerKind.choices, default=WorkerKind.COURIER
    )
    company = models.ForeignKey(
        "orgs.Organisation",
        verbose_name=_("company"),
        on_delete=models.PROTECT,
        related_name="workers",
    )
    outlet = models.ForeignKey(
        "orgs.Outlet",
        verbose_name=_("outlet"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="workers",
    )
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    # The company's employee number, when it has one (natural key with the company, R41).
    employee_no = models.CharField(_("employee number"), max_length=32, blank=True)
    started_on = models.DateField(_("started in the trade"), null=True, blank=True)
    id_number = EncryptedTextField(_("resident ID number"))
    id_number_index = models.CharField(max_length=64, blank=True, editable=False)
    status = models.CharField(
        _("status"), max_length=8, choices=WorkerStatus.choices, default=WorkerStatus.ACTIVE
    )
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ScopedManager()

    data_inventory = Inventory(
        retention="account",
        general="id user name name_pinyin kind company outlet region employee_no started_on "
        "status source created_at updated_at",
        contact="phone",
        identity="id_number id_number_index",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("worker")
        verbose_name_plural = _("workers")
        default_permissions = ()
        indexes = [
            models.Index(fields=["company", "region"]),
            # The list's order (newest first), whole and within a company: the first page is
            # read in index order instead of sorting every worker in scope.
            models.Index(fields=["-created_at", "-id"], name="worker_recent"),
            models.Index(fields=["company", "-created_at", "-id"], name="worker_company_recent"),
            models.Index(fields=["outlet"]),
            models.Index(fields=["id_number_index"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "employee_no"],
                condition=~Q(employee_no=""),
                name="worker_employee_no_unique",
            ),
            # One worker per mobile number within a company (the roster's natural key when
            # there is no employee number); across companies a shared number is a duplicate
            # to review, not an error.
            models.UniqueConstraint(fields=["company", "phone"], name="worker_phone_unique"),
        ]

    def __str__(self) -> str:
        return self.masked_name

    def audit_label(self) -> str:
        return f"{mask_name(self.name)} {mask_phone(self.phone)}"

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)


class ByWorkerQuerySet(ScopedQuerySet):
    """Rows scoped through their worker's region."""

    scope_field = "worker__region"


ByWorkerManager = ScopedManager.from_queryset(ByWorkerQuerySet)


class Employment(models.Model):
    """Where a worker worked: one row per company/outlet spell; the open one is current."""

    worker = models.ForeignKey(Worker, on_delete=models.CASCADE, related_name="employments")
    company = models.ForeignKey(
        "orgs.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("company")
    )
    outlet = models.ForeignKey(
        "orgs.Outlet",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("outlet"),
    )
    started_on = models.DateField(_("from"))
    ended_on = models.DateField(_("until"), null=True, blank=True)

    objects = ByWorkerManager()

    data_inventory = Inventory(
        retention="account", general="id worker company outlet started_on ended_on"
    )

    class Meta:
        ordering = ["worker_id", "-started_on", "-id"]
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["worker"], condition=Q(ended_on=None), name="employment_one_current"
            )
        ]

    def __str__(self) -> str:
        return f"{self.company_id}/{self.outlet_id} {self.started_on}–{self.ended_on or ''}"


class MembershipStatus(models.TextChoices):
    MEMBER = "member", _("Member")
    TRANSFERRED = "transferred", _("Transferred out")
    LEFT = "left", _("Left")


class UnionMembership(models.Model):
    worker = models.ForeignKey(Worker, on_delete=models.CASCADE, related_name="union_memberships")
    branch = models.ForeignKey(
        "orgs.Organisation",
        verbose_name=_("union branch"),
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    joined_on = models.DateField(_("joined"))
    status = models.CharField(
        _("status"), max_length=12, choices=MembershipStatus.choices, default="member"
    )
    ended_on = models.DateField(_("ended"), null=True, blank=True)
    card_no = models.CharField(_("membership card number"), max_length=32, blank=True)

    objects = ByWorkerManager()

    data_inventory = Inventory(
        retention="account", general="id worker branch joined_on status ended_on card_no"
    )

    class Meta:
        ordering = ["worker_id", "-joined_on"]
        verbose_name = _("union membership")
        verbose_name_plural = _("union memberships")
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["worker"], condition=Q(status="member"), name="union_one_current"
            )
        ]

    def __str__(self) -> str:
        return f"{self.branch_id}: {self.get_status_display()}"


class PartyStage(models.TextChoices):
    """The way to party membership, in order (申请人 → 积极分子 → 发展对象 → 预备党员 → 党员)."""

    APPLICANT = "applicant", _("Applicant")
    ACTIVIST = "activist", _("Activist")
    CANDIDATE = "candidate", _("Candidate for admission")
    PROBATIONARY = "probationary", _("Probationary member")
    MEMBER = "member", _("Full member")


PARTY_STAGE_ORDER = [s.value for s in PartyStage]


class PartyQuerySet(ScopedQuerySet):
    scope_field = "worker__region"


class PartyRecord(models.Model):
    """A worker's place in the party ledgers; only party-organisation roles see it."""

    worker = models.OneToOneField(Worker, on_delete=models.CASCADE, related_name="party_record")
    party_org = models.ForeignKey(
        "orgs.Organisation",
        verbose_name=_("party organisation"),
        on_delete=models.PROTECT,
        related_name="party_records",
    )
    stage = models.CharField(_("stage"), max_length=12, choices=PartyStage.choices)
    stage_since = models.DateField(_("in this stage since"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = ScopedManager.from_queryset(PartyQuerySet)()

    data_inventory = Inventory(
        retention="account", general="id worker party_org stage stage_since note"
    )

    class Meta:
        verbose_name = _("party record")
        verbose_name_plural = _("party records")
        default_permissions = ()

    def __str__(self) -> str:
        return self.get_stage_display()


class PartyStageChange(models.Model):
    """The history of a party record: one row per stage reached."""

    record = models.ForeignKey(PartyRecord, on_delete=models.CASCADE, related_name="changes")
    stage = models.CharField(_("stage"), max_length=12, choices=PartyStage.choices)
    on = models.DateField(_("date"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedManager.from_queryset(
        type("ByRecordQuerySet", (ScopedQuerySet,), {"scope_field": "record__worker__region"})
    )()

    data_inventory = Inventory(retention="account", general="id record stage on by")

    class Meta:
        ordering = ["record_id", "on", "id"]
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.get_stage_display()} {self.on}"


class InsuranceKind(models.TextChoices):
    WORK_INJURY = "work_injury", _("Work-injury insurance")
    OCCUPATIONAL_INJURY = "occupational_injury", _("Occupational-injury protection")
    ACCIDENT = "accident", _("Accident insurance")
    MEDICAL = "medical", _("Supplementary medical insurance")


class Payer(models.TextChoices):
    COMPANY = "company", _("Company")
    PLATFORM = "platform", _("Platform")
    UNION = "union", _("Union")
    GOVERNMENT = "government", _("Government")
    SELF = "self", _("The worker")


class Insurance(models.Model):
    worker = models.ForeignKey(Worker, on_delete=models.CASCADE, related_name="insurances")
    kind = models.CharField(_("kind"), max_length=20, choices=InsuranceKind.choices)
    insurer = models.CharField(_("insurer"), max_length=100)
    policy_no = models.CharField(_("policy number"), max_length=40, blank=True)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True)
    paid_by = models.CharField(_("paid by"), max_length=12, choices=Payer.choices)

    objects = ByWorkerManager()

    data_inventory = Inventory(
        retention="account",
        general="id worker kind insurer starts_on ends_on paid_by",
        financial="policy_no",
    )

    class Meta:
        ordering = ["worker_id", "-starts_on"]
        verbose_name = _("insurance enrolment")
        verbose_name_plural = _("insurance enrolments")
        default_permissions = ()
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on=None) | Q(ends_on__gte=models.F("starts_on")),
                name="insurance_period",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.insurer}"


class CertificateKind(models.TextChoices):
    SKILL = "skill", _("Vocational skill certificate")
    QUALIFICATION = "qualification", _("Professional qualification")
    TRAINING = "training", _("Training certificate")


class Certificate(models.Model):
    worker = models.ForeignKey(Worker, on_delete=models.CASCADE, related_name="certificates")
    kind = models.CharField(
        _("kind"), max_length=16, choices=CertificateKind.choices, default=CertificateKind.SKILL
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("For example 快递员."))
    level = models.CharField(_("level"), max_length=20, blank=True)
    issuer = models.CharField(_("issued by"), max_length=100)
    issued_on = models.DateField(_("issued"))
    number = models.CharField(_("certificate number"), max_length=40, blank=True)
    subsidy_claimed = models.BooleanField(_("subsidy claimed"), default=False)
    # Money is integer fen (STYLE.md).
    subsidy_fen = models.PositiveIntegerField(_("subsidy (fen)"), default=0)

    objects = ByWorkerManager()

    data_inventory = Inventory(
        retention="account",
        general="id worker kind name level issuer issued_on number subsidy_claimed",
        financial="subsidy_fen",
    )

    class Meta:
        ordering = ["worker_id", "-issued_on"]
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.name} {self.level}".strip()


class HonourLevel(models.TextChoices):
    NATIONAL = "national", _("National")
    PROVINCE = "province", _("Provincial")
    CITY = "city", _("City")
    DISTRICT = "district", _("District")
    COMPANY = "company", _("Company")


class Honour(models.Model):
    worker = models.ForeignKey(Worker, on_delete=models.CASCADE, related_name="honours")
    title = models.CharField(_("title"), max_length=100, help_text=_("For example 五一劳动奖章."))
    level = models.CharField(_("level"), max_length=10, choices=HonourLevel.choices)
    awarded_by = models.CharField(_("awarded by"), max_length=100)
    awarded_on = models.DateField(_("awarded"))

    objects = ByWorkerManager()

    data_inventory = Inventory(
        retention="account", general="id worker title level awarded_by awarded_on"
    )

    class Meta:
        ordering = ["worker_id", "-awarded_on"]
        verbose_name = _("honour")
        verbose_name_plural = _("honours")
        default_permissions = ()

    def __str__(self) -> str:
        return self.title


class CoverageCount(models.Model):
    """Coverage counts of one region (where the workers, outlets and stations are recorded)
    and one company (none for stations), rebuilt by ``workers.coverage.refresh``.

    The coverage pages read these rows, so a province's table sums a few thousand rows
    instead of counting half a million workers (bench/RESULTS.md §6).
    """

    region = models.ForeignKey("regions.Region", on_delete=models.CASCADE, related_name="+")
    company = models.ForeignKey(
        "orgs.Organisation", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    workers = models.PositiveIntegerField(default=0)
    union_members = models.PositiveIntegerField(default=0)
    insured = models.PositiveIntegerField(default=0)
    certified = models.PositiveIntegerField(default=0)
    outlets = models.PositiveIntegerField(default=0)
    party_outlets = models.PositiveIntegerField(default=0)
    stations = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField()

    objects = ScopedManager()

    data_inventory = Inventory(
        retention="permanent",
        general=(
            "id region company workers union_members insured certified outlets party_outlets "
            "stations computed_at"
        ),
    )

    class Meta:
        default_permissions = ()
        indexes = [models.Index(fields=["region", "company"])]

    def __str__(self) -> str:
        return f"{self.region_id}/{self.company_id}: {self.workers}"
