"""Points services: earning, redemption, reversal, expiry and adjustment (R7, R36–R38)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from warmbee.core.errors import DomainError
from warmbee.points import services
from warmbee.points.models import AppendOnly, Kind, LedgerEntry, PointsAccount

pytestmark = pytest.mark.django_db


def balance(worker) -> int:
    return PointsAccount.objects.unscoped(reason="test").get(worker=worker).balance


def ledger_sum(worker) -> int:
    return sum(
        LedgerEntry.objects.unscoped(reason="test")
        .filter(account__worker=worker)
        .values_list("points", flat=True)
    )


# --- earning ---------------------------------------------------------------------------------------
def test_earn_opens_the_account_and_credits_the_rule(worker):
    entry = services.points_earn(
        worker=worker, rule="civic.report_confirmed", idempotency_key="civic:report:1:confirmed"
    )
    assert (entry.kind, entry.points, entry.rule.code) == (Kind.EARN, 10, "civic.report_confirmed")
    assert entry.expires_at is not None
    assert balance(worker) == 10 == ledger_sum(worker)


def test_earn_twice_with_one_key_has_one_effect(worker):
    first = services.points_earn(worker=worker, rule="events.attended", idempotency_key="k1")
    again = services.points_earn(worker=worker, rule="events.attended", idempotency_key="k1")
    assert again.pk == first.pk
    assert balance(worker) == 5
    assert LedgerEntry.objects.unscoped(reason="test").count() == 1


def test_earn_inside_the_callers_transaction_rolls_back_with_it(worker):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.points_earn(worker=worker, rule="training.completed", idempotency_key="k2")
        raise RuntimeError
    assert not LedgerEntry.objects.unscoped(reason="test").exists()


@pytest.mark.parametrize("rule", ["no.such_rule", "inactive"])
def test_earn_unknown_or_inactive_rule(worker, rule):
    from warmbee.points.models import EarnRule

    EarnRule.objects.create(code="inactive", name="x", points=3, is_active=False)
    with pytest.raises(DomainError) as err:
        services.points_earn(worker=worker, rule=rule, idempotency_key="k3")
    assert err.value.code == "points_rule_unknown"


def test_seeded_rules():
    from warmbee.points.models import EarnRule

    assert dict(EarnRule.objects.values_list("code", "points")) == {
        "civic.report_confirmed": 10,
        "civic.report_accepted": 5,
        "events.attended": 5,
        "training.completed": 20,
    }


# --- the ledger cannot be changed ------------------------------------------------------------------
def test_entries_are_append_only(worker, earn):
    (entry,) = earn(worker)
    entry.points = 1000
    with pytest.raises(AppendOnly):
        entry.save()
    with pytest.raises(AppendOnly):
        entry.delete()


def test_database_refuses_a_negative_balance(worker, earn):
    earn(worker)
    with pytest.raises(IntegrityError), transaction.atomic():
        PointsAccount.objects.unscoped(reason="test").filter(worker=worker).update(balance=-1)
