"""Writes of the notify app: the in-app inbox.

``notify_user`` is how every app tells a user something happened. The inbox row is written in
the caller's transaction, so it exists exactly when the change it reports does (ADR 0012). An
SMS, when asked for, is queued only after that commit, through the SMS outbox; a gateway that is
down, or any failure while queuing, is logged and never fails the caller (R45).
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from warmbee.core.bulk import insert_one

from .models import InboxMessage

log = logging.getLogger(__name__)
NOTICE_TEMPLATE = "notice"
# What an SMS subject may carry at most (the carrier template adds the signature).
SMS_SUBJECT_MAX = 60


def notify_user(
    *, user, kind: str, subject: str, body: str = "", link: str = "", sms: bool = False
) -> InboxMessage:
    """Put a message in ``user``'s inbox; with ``sms=True`` also text them the subject.

    The SMS carries the subject only (keep personal data out of subjects): the body and the link
    stay behind the login."""
    message = InboxMessage(
        user=user,
        kind=kind[:50],
        subject=str(subject)[:200],
        body=str(body),
        link=_relative(link),
    )
    insert_one(message)  # every notified change writes one: built once (ADR 0018)
    phone = getattr(user, "phone", "") or ""
    if sms and phone:
        # The template ends the sentence itself.
        subject_text = message.subject[:SMS_SUBJECT_MAX].rstrip("。.！!")
        transaction.on_commit(lambda: _queue_sms(phone, subject_text))
    return message


def _relative(link: str) -> str:
    """Only a path on this site: an absolute or protocol-relative URL is dropped."""
    link = (link or "").strip()[:300]
    if not link.startswith("/") or link.startswith("//") or "\\" in link:
        return ""
    return link


def _queue_sms(phone: str, subject: str) -> None:
    from . import sms

    try:
        with transaction.atomic():
            sms.send_sms(phone, NOTICE_TEMPLATE, {"subject": subject})
    except Exception:  # noqa: BLE001 - an SMS never fails the caller (R45)
        log.exception("inbox notice SMS not queued")


def inbox_mark_read(*, user, ids: list[int] | None = None) -> int:
    """Mark ``user``'s unread messages read (all of them, or those of ``ids``); returns how many.

    Ids of other users' messages are ignored: the filter is on the owner."""
    qs = InboxMessage.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        clean = [int(i) for i in ids if str(i).isdigit()]
        if not clean:
            return 0
        qs = qs.filter(pk__in=clean)
    return qs.update(read_at=timezone.now())
