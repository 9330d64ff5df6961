"""Authentication glue: phone numbers as usernames, for Django's backend and for django-axes."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError

from warmbee.core.validators import normalize_mobile


def canonical_phone(value: str | None) -> str:
    """The lockout key for what was typed: the E.164 form if valid, else the raw text."""
    try:
        return normalize_mobile(value or "")
    except ValidationError:
        return (value or "").strip()[:32]


def axes_username(request, credentials) -> str:
    if credentials and credentials.get("phone"):
        return canonical_phone(credentials["phone"])
    data = getattr(request, "data", None) or request.POST
    return canonical_phone(data.get("phone"))


class PhoneBackend(ModelBackend):
    """Django's model backend with scoped look-ups made explicit."""

    def get_user(self, user_id):
        from .models import User

        try:
            user = User.objects.unscoped(reason="session authentication").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
