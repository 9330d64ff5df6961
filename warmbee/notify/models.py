"""Notifications: the in-app inbox, one-time codes and the SMS outbox.

Chinese carriers send only pre-approved templates, so a message is a template code with
parameters (``templates.py``), never free text. The outbox keeps every message until the backend
accepts it; a backend that is down leaves the message queued for the next attempt (R45).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from warmbee.core.pi import Inventory, mask_phone


class OneTimeCode(models.Model):
    """A 6-digit code sent to a mobile number; only its keyed hash is stored (R14)."""

    phone = models.CharField(max_length=20, db_index=True)
    purpose = models.CharField(max_length=16)
    code_hash = models.CharField(max_length=64)
    # The random nonce of the browser session that asked for it: the code works only there.
    nonce = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    data_inventory = Inventory(
        retention="security",
        general="id purpose created_at expires_at attempts used_at",
        contact="phone",
        credential="code_hash nonce",
    )

    class Meta:
        default_permissions = ()
        indexes = [models.Index(fields=["phone", "purpose", "-created_at"])]

    def __str__(self) -> str:
        return f"code for {mask_phone(self.phone)}"


class SmsStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class SmsMessage(models.Model):
    phone = models.CharField(max_length=20)
    template = models.CharField(max_length=40)
    # Parameters for the template; a one-time code is never kept here once sent.
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=8, choices=SmsStatus.choices, default=SmsStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    data_inventory = Inventory(
        retention="security",
        general="id template status attempts last_error created_at sent_at",
        contact="phone",
        credential="params",
    )

    class Meta:
        default_permissions = ()
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.template} → {mask_phone(self.phone)}"


class InboxMessage(models.Model):
    """One message in a user's in-app inbox (收件箱), written by ``services.notify_user``.

    ``kind`` names what happened (``"civic.report_acknowledged"``); ``link`` is a relative URL
    to the page about it, checked again for access when the user opens it.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="inbox",
    )
    kind = models.CharField(_("kind"), max_length=50)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message body"), blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("received at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    data_inventory = Inventory(
        retention="account",
        general="id user kind subject body link created_at read_at",
    )

    class Meta:
        default_permissions = ()
        verbose_name = _("inbox message")
        verbose_name_plural = _("inbox messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "read_at", "-created_at"], name="inbox_user_read_created")
        ]

    def __str__(self) -> str:
        return self.subject
