"""Retention purges (R28): rows across each rule's boundary; after the job the expired ones are
gone or erased, the others untouched, no file is left without its row (nor a row without its
file), a second run does nothing, and each purge is audited without the data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from warmbee.audit.models import AuditEvent
from warmbee.core import retention

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


def _media(name: str) -> Path:
    return Path(settings.MEDIA_ROOT) / name


def test_report_photos_go_a_year_after_the_report_closed(
    personas, grid, categories, django_capture_on_commit_callbacks, settings
):
    from warmbee.civic import services
    from warmbee.civic.models import CivicReport, ReportPhoto, Status
    from warmbee.civic.tests.conftest import INSIDE_A, jpeg

    settings.RETENTION_REPORT_PHOTO_DAYS = 365
    now = timezone.now()
    reports = {}
    for n, (name, closed_days_ago, status) in enumerate(
        [("old", 366, Status.CONFIRMED), ("young", 364, Status.REJECTED), ("open", None, None)]
    ):
        intake = services.report_submit(
            actor=personas["courier"] if n == 0 else None,
            category=categories["manhole"],
            lat=INSIDE_A[0] + n * 0.002,
            lng=INSIDE_A[1],
            idempotency_key=f"ret-{name}",
            photos=[jpeg()],
            ip=f"10.1.1.{n}",
        )
        if status:
            CivicReport.objects.unscoped(reason="test").filter(pk=intake.report.pk).update(
                status=status, closed_at=now - closed_days_ago * DAY
            )
        reports[name] = intake.report
    files = {k: r.photos.get().image for k, r in reports.items()}
    assert all(_media(f).exists() for f in files.values())

    with django_capture_on_commit_callbacks(execute=True):
        assert retention.run_purges(now=now)["civic.report_photos"] == 1
    assert not ReportPhoto.objects.filter(report=reports["old"]).exists()
    assert not _media(files["old"]).exists()
    for kept in ("young", "open"):
        assert ReportPhoto.objects.filter(report=reports[kept]).exists()
        assert _media(files[kept]).exists()
    assert CivicReport.objects.unscoped(reason="test").filter(pk=reports["old"].pk).exists()
    event = AuditEvent.objects.get(action="civic.photos_purged")
    assert event.actor_id is None and event.changes == {"photos": [1, 0]}
    with django_capture_on_commit_callbacks(execute=True):
        assert retention.run_purges(now=now)["civic.report_photos"] == 0
