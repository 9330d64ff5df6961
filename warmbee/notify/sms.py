"""Sending SMS through a pluggable backend (``settings.SMS_BACKEND``, like ``EMAIL_BACKEND``).

* ``warmbee.notify.sms.ConsoleBackend`` (development): prints the message, so a developer sees
  their code; the mobile number is masked.
* ``warmbee.notify.sms.LocmemBackend`` (tests): keeps messages in ``LocmemBackend.outbox``.
* A carrier backend (Aliyun, Tencent) is a class with ``send(phone, template, params)`` that
  raises on failure; configure its dotted path. None is bundled: their SDKs are heavy and
  optional (ECOSYSTEM.md).

``send_sms`` stores the message in the outbox and delivers it through the task queue; a failing
backend leaves it queued with the error and the attempt counted, and never fails the request
that asked for it (R45).
"""

from __future__ import annotations

import logging
import sys

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from warmbee.core.pi import mask_phone

from .models import SmsMessage, SmsStatus
from .templates import render

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


class ConsoleBackend:
    def send(self, phone: str, template: str, params: dict) -> None:
        sys.stdout.write(f"[SMS to {mask_phone(phone)}] {render(template, params)}\n")
        sys.stdout.flush()


class LocmemBackend:
    outbox: list[tuple[str, str, dict]] = []

    def send(self, phone: str, template: str, params: dict) -> None:
        LocmemBackend.outbox.append((phone, template, dict(params)))


def backend():
    return import_string(settings.SMS_BACKEND)()


def send_sms(phone: str, template: str, params: dict) -> SmsMessage:
    render(template, params)  # an unknown template or a missing parameter fails here, loudly
    message = SmsMessage.objects.create(phone=phone, template=template, params=params)
    from .tasks import deliver_sms

    # Enqueued in the same transaction: with the database task backend the job becomes visible
    # to the worker only when the message row commits (a transactional outbox).
    deliver_sms.enqueue(message.pk)
    return message


def deliver(message_id: int) -> bool:
    message = SmsMessage.objects.filter(pk=message_id, status=SmsStatus.QUEUED).first()
    if message is None:
        return True
    message.attempts += 1
    try:
        backend().send(message.phone, message.template, message.params)
    except Exception as exc:  # noqa: BLE001 - any gateway failure: keep the message queued
        message.last_error = f"{type(exc).__name__}: {exc}"[:200]
        if message.attempts >= MAX_ATTEMPTS:
            message.status = SmsStatus.FAILED
            message.params = {}
        message.save(update_fields=["attempts", "last_error", "status", "params"])
        log.warning(
            "SMS %s to %s not sent (attempt %s)",
            message.template,
            mask_phone(message.phone),
            message.attempts,
        )
        return False
    message.status, message.sent_at = SmsStatus.SENT, timezone.now()
    # A code is a credential: once delivered, the outbox does not keep it.
    message.params = {k: v for k, v in message.params.items() if k != "code"}
    message.save(update_fields=["attempts", "status", "sent_at", "params", "last_error"])
    return True


def retry_queued() -> int:
    """Deliver every queued message again (a periodic job: ``manage.py send_queued_sms``)."""
    sent = 0
    for pk in SmsMessage.objects.filter(status=SmsStatus.QUEUED).values_list("pk", flat=True):
        sent += deliver(pk)
    return sent
