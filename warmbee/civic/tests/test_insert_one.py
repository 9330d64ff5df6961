"""``bulk.insert_one``: the same row as ``save(force_insert=True)``, for models without signals."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models.signals import post_save, pre_save
from django.forms.models import model_to_dict
from django.utils import timezone

from warmbee.audit.models import AuditEvent
from warmbee.civic.models import CivicReport, ReportEvent
from warmbee.core.bulk import insert_one
from warmbee.notify.models import InboxMessage

# Every model written through insert_one: it sends no signals, so none may have receivers.
INSERTED_ONE_BY_ONE = [AuditEvent, CivicReport, InboxMessage, ReportEvent]


@pytest.mark.parametrize("model", INSERTED_ONE_BY_ONE, ids=lambda m: m.__name__)
def test_models_written_by_insert_one_have_no_save_receivers(model):
    assert not pre_save.has_listeners(model)
    assert not post_save.has_listeners(model)


def _report(category, area, at, **kw):
    return CivicReport(
        category=category,
        lat="46.600001",
        lng="125.000002",
        description="井盖缺失",
        answers={"size": "large"},
        area=area,
        region_id="230602013",
        created_at=at,
        updated_at=at,
        ack_due_at=at + dt.timedelta(hours=2),
        **kw,
    )


def test_insert_one_writes_what_save_writes(db, grid, categories):
    area, at = grid["A"], timezone.now()
    saved = _report(categories["manhole"], area, at, idempotency_key="k-save")
    saved.save(force_insert=True)
    inserted = insert_one(_report(categories["manhole"], area, at, idempotency_key="k-insert"))
    assert inserted.pk and inserted.pk != saved.pk and not inserted._state.adding
    rows = {
        r.pk: model_to_dict(r, exclude=["id", "code", "idempotency_key"])
        for r in CivicReport.objects.unscoped(reason="test").filter(pk__in=[saved.pk, inserted.pk])
    }
    assert rows[saved.pk] == rows[inserted.pk]
    assert rows[inserted.pk]["answers"] == {"size": "large"}
    again = CivicReport.objects.unscoped(reason="test").get(pk=inserted.pk)
    assert again.code == inserted.code and str(again.lat) == "46.600001"
