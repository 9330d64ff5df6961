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


def test_fields_with_their_own_pre_save_or_preparation_are_planned_so(db):
    from django.db import connection

    from warmbee.core.bulk import _insert_statement
    from warmbee.stations.models import StationHost

    plan = {
        f.name: (own, prep) for f, own, prep in _insert_statement(StationHost, connection.vendor)[0]
    }
    assert plan["since"] == (True, True)  # auto_now_add: pre_save sets it, then it is adapted
    assert plan["station"] == (False, False)  # a plain foreign key id goes as it is
    report_plan = {
        f.name: prep for f, _own, prep in _insert_statement(CivicReport, connection.vendor)[0]
    }
    assert report_plan["lat"] and report_plan["answers"] and report_plan["created_at"]
    assert not report_plan["description"]


def test_a_lazy_text_in_a_plain_field_is_prepared(db, grid, categories):
    from django.utils.translation import gettext_lazy

    at = timezone.now()
    report = insert_one(_report(categories["manhole"], grid["A"], at, idempotency_key="k-lazy"))
    event = insert_one(
        ReportEvent(
            report=report, at=at, from_status="", to_status="submitted", note=gettext_lazy("Other")
        )
    )
    assert ReportEvent.objects.get(pk=event.pk).note in {"Other", "其他"}
