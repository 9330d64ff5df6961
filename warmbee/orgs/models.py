"""Organisations of the programme and the outlets (网点) where couriers work.

One ``Organisation`` table holds every kind of body, told apart by ``kind`` (and, within a kind,
``category``): courier companies and platforms, union branches and federations, party
organisations, government departments and bodies, and service providers (who run the 五师一室
desks, ``ServiceDesk``). Companies and platforms are data, never code. A company's ``parent`` is
its brand (顺丰速运(大庆)有限公司 → 顺丰速运); a union branch's parent is the union above it; a
party branch's parent is the committee above it.

An ``Outlet`` belongs to one company and one region; it may be covered by a union branch and a
party organisation (the coverage figures count outlets with a party organisation).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from warmbee.accounts.scoping import ScopedManager
from warmbee.core.pi import Inventory, mask_phone

CHINA_LAT = (3.0, 54.0)
CHINA_LNG = (73.0, 136.0)


class OrgKind(models.TextChoices):
    COMPANY = "company", _("Courier company")
    PLATFORM = "platform", _("Platform")
    UNION = "union", _("Union")
    PARTY = "party", _("Party organisation")
    GOVERNMENT = "government", _("Government department or body")
    PROVIDER = "provider", _("Service provider")
    OTHER = "other", _("Other organisation")


# Workers are employed by (or work through) these kinds.
EMPLOYER_KINDS = frozenset({OrgKind.COMPANY, OrgKind.PLATFORM})


class OrgCategory(models.TextChoices):
    """What kind of union, party organisation or government body (blank for the others)."""

    # Unions
    FEDERATION = "federation", _("Federation of trade unions")
    COUNTY_UNION = "county_union", _("County or district union")
    INDUSTRY_UNION = "industry_union", _("Industry union")
    COMPANY_BRANCH = "company_branch", _("Company union branch")
    JOINT_BRANCH = "joint_branch", _("Joint union branch")
    # Party organisations
    PARTY_COMMITTEE = "party_committee", _("Party committee")
    PARTY_GENERAL_BRANCH = "party_general_branch", _("General party branch")
    PARTY_BRANCH = "party_branch", _("Party branch")
    # Government departments and bodies
    POSTAL_BUREAU = "postal_bureau", _("Postal administration")
    YOUTH_LEAGUE = "youth_league", _("Communist Youth League")
    CARE_COMMITTEE = "care_committee", _("Care committee for the next generation")
    HR_BUREAU = "hr_bureau", _("Human resources and social security bureau")
    WOMENS_FEDERATION = "womens_federation", _("Women's federation")
    PARTY_MASS_CENTRE = "party_mass_centre", _("Party-mass service centre")
    OTHER_DEPARTMENT = "other_department", _("Other department")


CATEGORIES_BY_KIND: dict[str, frozenset[str]] = {
    OrgKind.UNION: frozenset(
        {
            OrgCategory.FEDERATION,
            OrgCategory.COUNTY_UNION,
            OrgCategory.INDUSTRY_UNION,
            OrgCategory.COMPANY_BRANCH,
            OrgCategory.JOINT_BRANCH,
        }
    ),
    OrgKind.PARTY: frozenset(
        {
            OrgCategory.PARTY_COMMITTEE,
            OrgCategory.PARTY_GENERAL_BRANCH,
            OrgCategory.PARTY_BRANCH,
        }
    ),
    OrgKind.GOVERNMENT: frozenset(
        {
            OrgCategory.POSTAL_BUREAU,
            OrgCategory.YOUTH_LEAGUE,
            OrgCategory.CARE_COMMITTEE,
            OrgCategory.HR_BUREAU,
            OrgCategory.WOMENS_FEDERATION,
            OrgCategory.PARTY_MASS_CENTRE,
            OrgCategory.FEDERATION,
            OrgCategory.OTHER_DEPARTMENT,
        }
    ),
}


class Organisation(models.Model):
    kind = models.CharField(_("kind"), max_length=12, choices=OrgKind.choices)
    category = models.CharField(
        _("category"), max_length=24, choices=OrgCategory.choices, blank=True
    )
    name = models.CharField(_("name"), max_length=100)
    short_name = models.CharField(
        _("short name"), max_length=30, blank=True, help_text=_("For example 顺丰 or 中通.")
    )
    # GB 32100 unified social credit code (checked with python-stdnum); blank when unknown.
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    # A public switchboard or service number (hotlines such as 12351 are text, not mobiles).
    phone = models.CharField(_("public phone"), max_length=20, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=64, blank=True)
    contact_phone = models.CharField(_("contact mobile"), max_length=20, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager()

    data_inventory = Inventory(
        retention="permanent",
        general="id kind category name short_name credit_code parent region address phone "
        "contact_name is_active created_at updated_at",
        contact="contact_phone",
    )

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        default_permissions = ()
        indexes = [models.Index(fields=["kind", "region"])]
        constraints = [
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=~Q(credit_code=""),
                name="org_credit_code_unique",
            ),
            models.UniqueConstraint(fields=["kind", "region", "name"], name="org_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        return self.short_name or self.name

    @property
    def masked_contact_phone(self) -> str:
        return mask_phone(self.contact_phone)


class Outlet(models.Model):
    """A courier company's outlet (网点): a depot or delivery point with its own staff."""

    company = models.ForeignKey(
        Organisation,
        verbose_name=_("company"),
        on_delete=models.PROTECT,
        related_name="outlets",
        limit_choices_to={"kind__in": sorted(EMPLOYER_KINDS)},
    )
    name = models.CharField(_("name"), max_length=100)
    # The company's own code for the outlet, when it has one (natural key with the company).
    code = models.CharField(_("outlet code"), max_length=32, blank=True)
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    lat = models.FloatField(
        _("latitude"),
        null=True,
        blank=True,
        validators=[MinValueValidator(CHINA_LAT[0]), MaxValueValidator(CHINA_LAT[1])],
    )
    lng = models.FloatField(
        _("longitude"),
        null=True,
        blank=True,
        validators=[MinValueValidator(CHINA_LNG[0]), MaxValueValidator(CHINA_LNG[1])],
    )
    manager_name = models.CharField(_("manager"), max_length=64, blank=True)
    manager_phone = models.CharField(_("manager's mobile"), max_length=20, blank=True)
    union_branch = models.ForeignKey(
        Organisation,
        verbose_name=_("union branch"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="union_outlets",
        limit_choices_to={"kind": OrgKind.UNION},
    )
    party_org = models.ForeignKey(
        Organisation,
        verbose_name=_("party organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="party_outlets",
        limit_choices_to={"kind": OrgKind.PARTY},
    )
    # The instructor (党建指导员) the party organisation assigned to the outlet, if any.
    instructor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("party instructor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    staff_count = models.PositiveIntegerField(
        _("staff (declared)"),
        default=0,
        help_text=_("As the outlet declares it; the registry counts its own."),
    )
    is_active = models.BooleanField(_("in operation"), default=True)
    opened_on = models.DateField(_("opened"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager()

    data_inventory = Inventory(
        retention="permanent",
        general="id company name code region address lat lng manager_name union_branch "
        "party_org instructor staff_count is_active opened_on created_at updated_at",
        contact="manager_phone",
    )

    class Meta:
        ordering = ["company_id", "name"]
        verbose_name = _("outlet")
        verbose_name_plural = _("outlets")
        default_permissions = ()
        indexes = [models.Index(fields=["company", "region"])]
        constraints = [
            models.UniqueConstraint(fields=["company", "name"], name="outlet_name_unique"),
            models.UniqueConstraint(
                fields=["company", "code"], condition=~Q(code=""), name="outlet_code_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_manager_phone(self) -> str:
        return mask_phone(self.manager_phone)


class Desk(models.TextChoices):
    """The 五师一室 of a party-mass service centre."""

    LEGAL_AID = "legal_aid", _("Legal-aid lawyer")
    LABOUR_RELATIONS = "labour_relations", _("Labour-relations coordinator")
    ENTREPRENEURSHIP = "entrepreneurship", _("Entrepreneurship mentor")
    LABOUR_SAFETY = "labour_safety", _("Labour-safety consultant")
    HEALTH = "health", _("Physical and mental-health guide")
    MEDIATION = "mediation", _("Dispute-mediation room")


class ServiceDesk(models.Model):
    """One of the six desks, run by a provider organisation for a region."""

    provider = models.ForeignKey(
        Organisation,
        verbose_name=_("provider"),
        on_delete=models.PROTECT,
        related_name="desks",
    )
    desk = models.CharField(_("desk"), max_length=20, choices=Desk.choices)
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("region served"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    location = models.CharField(_("where"), max_length=200, blank=True)
    phone = models.CharField(_("desk phone"), max_length=20, blank=True)
    hours = models.CharField(_("opening hours"), max_length=100, blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="desks", verbose_name=_("providers")
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = ScopedManager()

    data_inventory = Inventory(
        retention="permanent",
        general="id provider desk region location phone hours is_active",
    )

    class Meta:
        ordering = ["region_id", "desk"]
        verbose_name = _("service desk")
        verbose_name_plural = _("service desks")
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(fields=["provider", "desk", "region"], name="desk_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_desk_display()} · {self.provider}"
