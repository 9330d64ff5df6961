"""Retention purges (R28): rows across each rule's boundary; after the job the expired ones are
gone or erased, the others untouched, no file is left without its row (nor a row without its
file), a second run does nothing, and each purge is audited without the data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings

from warmbee.core import retention

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


def _media(name: str) -> Path:
    return Path(settings.MEDIA_ROOT) / name


def test_every_rule_is_registered():
    assert set(retention.rules()) >= {
        "civic.report_photos",
        "aid.rejected_applications",
        "casework.health_contents",
    }
