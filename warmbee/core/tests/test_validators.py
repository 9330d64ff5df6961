"""The mobile-number fast path agrees with libphonenumber's full parse."""

from __future__ import annotations

import random

import phonenumbers
import pytest
from django.core.exceptions import ValidationError

from warmbee.core import validators


def _reference(raw: str) -> str | None:
    try:
        number = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException:
        return None
    if (
        number.country_code != 86
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.number_type(number) not in validators._MOBILE_TYPES
    ):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _ours(raw: str) -> str | None:
    try:
        return validators.normalize_mobile(raw)
    except ValidationError:
        return None


def test_fast_path_matches_libphonenumber_on_random_numbers():
    rng = random.Random(20261202)
    numbers = ["1" + "".join(rng.choice("0123456789") for _ in range(10)) for _ in range(20_000)]
    numbers += [f"+86{n}" for n in numbers[:2000]]
    mismatches = [n for n in numbers if _ours(n) != _reference(n)]
    assert mismatches == []
    assert sum(1 for n in numbers if _ours(n)) > 5000  # the sample has plenty of real mobiles


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("139 1234 5678", "+8613912345678"),
        ("139-1234-5678", "+8613912345678"),
        ("+86 13912345678", "+8613912345678"),
        ("12345678901", None),
        ("010-12345678", None),
        ("", None),
    ],
)
def test_normalize_mobile(raw, expected):
    assert _ours(raw) == expected
