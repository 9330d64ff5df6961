"""Reads of the notify app: a user's own inbox (nobody reads another's)."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import InboxMessage


def inbox_for(user, *, unread_only: bool = False) -> QuerySet[InboxMessage]:
    """``user``'s messages, newest first."""
    qs = InboxMessage.objects.filter(user=user)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-id")


def unread_count(user) -> int:
    """One COUNT on the (user, read_at, created_at) index."""
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    return InboxMessage.objects.filter(user=user, read_at__isnull=True).count()
