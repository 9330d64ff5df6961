"""Identifier validation with real libraries, not regexes (DESIGN.md)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .errors import DomainError

_MOBILE_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}


#: An 11-digit mainland number, optionally with the country code: the common case, decided by
#: its first five digits (the numbering plan allots mobile blocks by them; libphonenumber's CN
#: mobile pattern is ``1`` + at most four digits of block + six free digits).
_PLAIN_MOBILE = re.compile(r"(?:\+?86|0086)?(1\d{4})(\d{6})")


@lru_cache(maxsize=1024)
def _mobile_block(prefix: str) -> bool:
    """Whether numbers starting with these five digits are mainland mobiles (libphonenumber)."""
    number = phonenumbers.parse(prefix + "000000", "CN")
    return (
        phonenumbers.is_valid_number(number) and phonenumbers.number_type(number) in _MOBILE_TYPES
    )


def normalize_mobile(value: str) -> str:
    """A mainland mobile number in E.164 (``+8613812348000``), or ``ValidationError``."""
    raw = (value or "").strip().replace(" ", "").replace("-", "")
    if not raw:
        raise ValidationError(_("Enter a mobile number."), code="required")
    plain = _PLAIN_MOBILE.fullmatch(raw)
    if plain and _mobile_block(plain[1]):
        return f"+86{plain[1]}{plain[2]}"
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


def clean_model(obj, exclude: Iterable[str] = ()) -> None:
    """``full_clean`` as a ``DomainError`` naming the first field at fault (services call it
    before every save; constraints are left to the database and the services' own checks)."""
    try:
        obj.full_clean(exclude=list(exclude), validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise DomainError(
            " ".join(str(m) for m in messages),
            code="invalid",
            field=None if field == "__all__" else field,
        ) from None
