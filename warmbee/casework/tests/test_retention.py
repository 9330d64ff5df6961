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


def test_health_case_contents_are_erased_years_after_closing(ask, personas, settings):
    from warmbee.casework import services
    from warmbee.casework.models import CaseEntry, HelpRequest, Kind, Status

    settings.RETENTION_HEALTH_CASE_DAYS = 1095
    now = timezone.now()
    old = ask(text="最近压力很大，睡不着。", kind=Kind.HEALTH)
    young = ask(text="腰伤复发。", kind=Kind.HEALTH)
    wages = ask(text="网点拖欠工资。")
    rows = HelpRequest.objects.unscoped(reason="test")
    rows.filter(pk=old.pk).update(
        status=Status.CLOSED, outcome="resolved", closed_at=now - 1096 * DAY
    )
    rows.filter(pk=young.pk).update(
        status=Status.CLOSED, outcome="resolved", closed_at=now - 1094 * DAY
    )
    rows.filter(pk=wages.pk).update(
        status=Status.CLOSED, outcome="resolved", closed_at=now - 4000 * DAY
    )

    assert retention.run_purges(now=now)["casework.health_contents"] == 1
    erased = rows.get(pk=old.pk)
    assert erased.description == "" and erased.contents_purged_at == now
    assert erased.kind == Kind.HEALTH and erased.status == Status.CLOSED  # the figures stay
    entries = CaseEntry.objects.unscoped(reason="test").filter(case_id=old.pk)
    assert entries.exists() and set(entries.values_list("body", flat=True)) == {""}
    assert rows.get(pk=young.pk).description == "腰伤复发。"
    assert rows.get(pk=wages.pk).description == "网点拖欠工资。"  # not a health request
    assert AuditEvent.objects.filter(action="casework.contents_purged").count() == 1
    assert retention.run_purges(now=now)["casework.health_contents"] == 0
    assert services.health_contents_expired(now) == []


def test_an_erased_request_says_so_on_its_pages(ask, as_persona):
    from django.urls import reverse

    from warmbee.casework.models import HelpRequest, Kind, Status

    case = ask(text="最近压力很大，睡不着。", kind=Kind.HEALTH)
    HelpRequest.objects.unscoped(reason="test").filter(pk=case.pk).update(
        status=Status.CLOSED, outcome="resolved", closed_at=timezone.now() - 1200 * DAY
    )
    retention.run_purges()
    page = as_persona("courier").get(reverse("casework:my_case", args=[case.pk])).content
    assert "按保留期限删除" in page.decode() and "睡不着" not in page.decode()
