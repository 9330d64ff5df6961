"""The vocabularies of aid: programme kinds, benefits, states and timeline actions."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProgrammeKind(models.TextChoices):
    HARDSHIP = "hardship", _("Hardship grant")
    EDUCATION = "education", _("Education aid for children")
    CERTIFICATE_SUBSIDY = "certificate_subsidy", _("Skill-certificate subsidy")
    HEALTH_CHECK = "health_check", _("Free health check")
    INSURANCE = "insurance", _("Accident insurance")
    IN_KIND = "in_kind", _("Goods in kind")


class BenefitKind(models.TextChoices):
    FIXED = "fixed", _("Fixed amount")
    RANGE = "range", _("Amount set by the reviewer within a range")
    GOODS = "goods", _("Goods or a service handed over")


class ProgrammeStatus(models.TextChoices):
    DRAFT = "draft", _("Being prepared")
    OPEN = "open", _("Open for applications")
    CLOSED = "closed", _("Closed to applications")


class AppStatus(models.TextChoices):
    """applied → reviewed → approved → disbursed → closed (R39); returned and rejected on the
    side (an approval withdrawn before payment is a rejection). ``step`` says which review step an applied or reviewed application waits for."""

    APPLIED = "applied", _("Applied")
    RETURNED = "returned", _("Returned for more information")
    REVIEWED = "reviewed", _("Reviewed")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    DISBURSED = "disbursed", _("Paid or handed over")
    CLOSED = "closed", _("Case closed")


IN_REVIEW = (AppStatus.APPLIED, AppStatus.REVIEWED)


class Action(models.TextChoices):
    """One row of an application's timeline (``AidStep``)."""

    SUBMIT = "submit", _("Applied")
    RESUBMIT = "resubmit", _("Sent again with more information")
    REVIEW = "review", _("Passed a review step")
    APPROVE = "approve", _("Approved")
    RETURN = "return", _("Returned for more information")
    REJECT = "reject", _("Rejected")
    APPEAL = "appeal", _("Appealed")
    DISBURSE = "disburse", _("Paid or handed over")
    WITHDRAW_APPROVAL = "withdraw", _("Approval withdrawn")
    CLOSE = "close", _("Case closed")


class EntryKind(models.TextChoices):
    PAYMENT = "payment", _("Payment")
    HANDOVER = "handover", _("Handover of goods")


class Channel(models.TextChoices):
    WEB = "web", _("By the worker, online")
    STAFF = "staff", _("Entered by staff")
