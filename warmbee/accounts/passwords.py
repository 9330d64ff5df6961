"""Password policy profiles (R9): ``asvs`` and the stricter ``mlps``."""

from __future__ import annotations

import re
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

MAX_LENGTH = 128
WORKER_MIN_LENGTH = 8
STAFF_MIN_LENGTH = 12
CONTEXT_WORDS = ("warmbee", "courier", "kuaidi", "快递", "暖蜂", "驿站", "password", "mima", "密码")
CLASSES = (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z0-9]")


class PolicyValidator:
    """Length bounds (staff longer), context block-list, and for ``mlps`` character classes."""

    def validate(self, password: str, user=None) -> None:
        errors = []
        is_staff = bool(
            user is not None and hasattr(user, "is_staff_member") and user.is_staff_member
        )
        minimum = STAFF_MIN_LENGTH if is_staff else WORKER_MIN_LENGTH
        if len(password) < minimum:
            errors.append(
                ValidationError(
                    ngettext(
                        "Use at least %(min)d character.",
                        "Use at least %(min)d characters.",
                        minimum,
                    )
                    % {"min": minimum},
                    code="password_too_short",
                )
            )
        if len(password) > MAX_LENGTH:
            errors.append(
                ValidationError(
                    _("Use at most %(max)d characters.") % {"max": MAX_LENGTH},
                    code="password_too_long",
                )
            )
        lowered = password.lower()
        words = list(CONTEXT_WORDS)
        if user is not None:
            phone = getattr(user, "phone", "") or ""
            words += [phone[-8:], phone[-11:]] if len(phone) >= 8 else []
        if any(w and w.lower() in lowered for w in words):
            errors.append(
                ValidationError(
                    _(
                        "The password must not contain your mobile number or a word about this service."
                    ),
                    code="password_context",
                )
            )
        if settings.PASSWORD_POLICY == "mlps":
            classes = sum(1 for c in CLASSES if re.search(c, password))
            if classes < 3:
                errors.append(
                    ValidationError(
                        _(
                            "Use at least three of: lower-case letters, upper-case letters, digits, "
                            "symbols."
                        ),
                        code="password_classes",
                    )
                )
        if errors:
            raise ValidationError(errors)

    def get_help_text(self) -> str:
        text = _("At least %(worker)d characters (%(staff)d for staff), at most %(max)d.") % {
            "worker": WORKER_MIN_LENGTH,
            "staff": STAFF_MIN_LENGTH,
            "max": MAX_LENGTH,
        }
        if settings.PASSWORD_POLICY == "mlps":
            text += " " + _("Use three of: lower-case, upper-case, digits, symbols.")
        return text


def password_expired(user) -> bool:
    """Under the ``mlps`` profile a password expires after ``PASSWORD_EXPIRY_DAYS``."""
    if settings.PASSWORD_POLICY != "mlps" or not user.has_usable_password():
        return False
    changed = user.password_changed_at or user.date_joined
    return timezone.now() - changed > timedelta(days=settings.PASSWORD_EXPIRY_DAYS)
