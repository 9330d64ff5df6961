"""Identifier validation with real libraries, not regexes (DESIGN.md)."""

from __future__ import annotations

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_MOBILE_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}


def normalize_mobile(value: str) -> str:
    """A mainland mobile number in E.164 (``+8613812348000``), or ``ValidationError``."""
    raw = (value or "").strip().replace(" ", "").replace("-", "")
    if not raw:
        raise ValidationError(_("Enter a mobile number."), code="required")
    try:
        number = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException:
        raise ValidationError(
            _("Enter a valid mainland mobile number."), code="invalid_phone"
        ) from None
    if (
        number.country_code != 86
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.number_type(number) not in _MOBILE_TYPES
    ):
        raise ValidationError(_("Enter a valid mainland mobile number."), code="invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
