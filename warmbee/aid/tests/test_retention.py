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


def test_rejected_aid_applications_go_with_their_evidence_after_a_year(
    submit, make_programme, personas, make_worker, django_capture_on_commit_callbacks, settings
):
    from warmbee.aid import services
    from warmbee.aid.models import AidApplication, AidEvidence, AidStep

    settings.RETENTION_REJECTED_AID_DAYS = 365
    now = timezone.now()
    programme = make_programme()
    apps = {}
    for name in ("old", "young", "approved"):
        worker = make_worker("230602")
        app = submit(programme, actor=personas["district_officer"], worker=worker)
        apps[name] = app
    for name in ("old", "young"):
        services.application_reject(
            actor=personas["city_officer"], application=apps[name], reason="不符合条件"
        )
    services.application_review(actor=personas["city_officer"], application=apps["approved"])
    rows = AidApplication.objects.unscoped(reason="test")
    rows.filter(pk=apps["old"].pk).update(updated_at=now - 366 * DAY)
    rows.filter(pk=apps["young"].pk).update(updated_at=now - 364 * DAY)
    rows.filter(pk=apps["approved"].pk).update(updated_at=now - 900 * DAY)
    evidence = AidEvidence.objects.unscoped(reason="test")
    files = {k: evidence.get(application=a).image for k, a in apps.items()}

    with django_capture_on_commit_callbacks(execute=True):
        assert retention.run_purges(now=now)["aid.rejected_applications"] == 1
    assert not rows.filter(pk=apps["old"].pk).exists()
    assert not evidence.filter(application_id=apps["old"].pk).exists()
    assert not AidStep.objects.unscoped(reason="test").filter(application_id=apps["old"].pk)
    assert not _media(files["old"]).exists()
    for kept in ("young", "approved"):
        assert rows.filter(pk=apps[kept].pk).exists() and _media(files[kept]).exists()
    event = AuditEvent.objects.get(action="aid.rejected_purged")
    assert event.target_id == str(apps["old"].pk) and "不符合" not in str(event.changes)
    assert retention.run_purges(now=now)["aid.rejected_applications"] == 0
