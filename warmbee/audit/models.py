"""The append-only, keyed-hash-chained audit trail (R16, R17, R20)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from warmbee.core.pi import Inventory


class Result(models.TextChoices):
    OK = "ok", _("Succeeded")
    DENIED = "denied", _("Denied")
    FAILED = "failed", _("Failed")


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("audit events are append-only")

    def delete(self):
        raise TypeError("audit events are append-only")


class AuditEvent(models.Model):
    """One thing that happened. Never updated or deleted: the database refuses both (triggers on
    SQLite and PostgreSQL), and ``hash`` = HMAC(key, prev_hash ‖ canonical row) chains every row to
    the one before, so ``verify_audit_chain`` finds any row altered behind the application's back."""

    at = models.DateTimeField(_("time"), db_index=True)
    actor_id = models.BigIntegerField(_("actor id"), null=True, blank=True, db_index=True)
    actor_label = models.CharField(_("actor"), max_length=64, blank=True)
    actor_roles = models.CharField(_("actor roles"), max_length=400, blank=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    result = models.CharField(_("result"), max_length=8, choices=Result.choices, default=Result.OK)
    target_type = models.CharField(_("target type"), max_length=64, blank=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    target_label = models.CharField(_("target"), max_length=128, blank=True)
    # No database constraint: regions are never deleted, and the audit table must stay writable
    # whatever happens to reference data.
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    ip = models.CharField(_("IP address"), max_length=45, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    channel = models.CharField(_("channel"), max_length=16, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64, unique=True)

    objects = AuditEventQuerySet.as_manager()

    data_inventory = Inventory(
        retention="audit",
        general="id at actor_id actor_label actor_roles action result target_type target_id "
        "target_label region changes reason request_id channel prev_hash hash",
        network="ip",
    )

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-id"]
        default_permissions = ()

    def __str__(self) -> str:
        return f"#{self.pk} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("audit events are append-only")
