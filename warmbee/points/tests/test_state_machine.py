"""A Hypothesis state machine of earn / redeem / reverse / expire / adjust against a reference
model, with the ledger invariants checked after every step (R36, R38)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from warmbee.core.errors import DomainError
from warmbee.points import services
from warmbee.points.models import Goods, LedgerEntry, PointsAccount

pytestmark = pytest.mark.django_db
_keys = itertools.count(1)
RULES = {"civic.report_confirmed": 10, "civic.report_accepted": 5, "training.completed": 20}


class Ledger(RuleBasedStateMachine):
    """Reference: the balance, the stock, the live entries (id → points) and expiring credits."""

    ctx: dict = {}

    @initialize()
    def start(self):
        c = self.ctx
        self.atomic = transaction.atomic()
        self.atomic.__enter__()  # every example rolls back to the fixtures' state
        self.goods = Goods.objects.create(station=c["station"], name="矿泉水", points=3, stock=5)
        self.account = services.account_for(c["worker"])
        self.balance, self.stock = 0, 5
        self.entries: dict[int, int] = {}  # reversible entries still live
        self.keys: dict[str, int] = {}
        self.now = timezone.now()

    def teardown(self):
        self.atomic.__exit__(RuntimeError, RuntimeError(), None)

    @rule(code=st.sampled_from(sorted(RULES)), retry=st.booleans())
    def earn(self, code, retry):
        key = f"sm:{next(_keys)}"
        entry = services.points_earn(worker=self.ctx["worker"], rule=code, idempotency_key=key)
        self.balance += RULES[code]
        self.entries[entry.pk] = RULES[code]
        if retry:  # a retried request: same key, same entry, no effect
            again = services.points_earn(worker=self.ctx["worker"], rule=code, idempotency_key=key)
            assert again.pk == entry.pk

    @rule(quantity=st.integers(1, 3))
    def redeem(self, quantity):
        c = self.ctx
        cost = 3 * quantity
        try:
            r = services.redemption_start(
                actor=c["host"],
                station=c["station"],
                code=self.account.redeem_code,
                goods=Goods.objects.unscoped(reason="test").get(pk=self.goods.pk),
                quantity=quantity,
                idempotency_key=f"sm:{next(_keys)}",
            )
            r = services.redemption_confirm(actor=c["courier"], redemption=r)
        except DomainError as exc:
            expected = "points_out_of_stock" if self.stock < quantity else "points_insufficient"
            assert exc.code == expected and (self.stock < quantity or self.balance < cost)
            return
        assert self.balance >= cost and self.stock >= quantity
        self.balance -= cost
        self.stock -= quantity
        self.entries[r.entry_id] = -cost

    @precondition(lambda self: self.entries)
    @rule(data=st.data())
    def reverse(self, data):
        pk = data.draw(st.sampled_from(sorted(self.entries)))
        points = self.entries[pk]
        entry = LedgerEntry.objects.unscoped(reason="test").get(pk=pk)
        try:
            services.entry_reverse(actor=self.ctx["officer"], entry=entry, reason="测试")
        except DomainError as exc:
            assert exc.code == "points_insufficient" and self.balance < points
            return
        self.balance -= points
        del self.entries[pk]
        with pytest.raises(DomainError):  # never twice
            services.entry_reverse(actor=self.ctx["officer"], entry=entry, reason="again")

    @rule(points=st.integers(-30, 30).filter(bool))
    def adjust(self, points):
        try:
            adj = services.adjustment_propose(
                actor=self.ctx["officer"],
                worker=self.ctx["worker"],
                points=points,
                reason="测试",
                idempotency_key=f"sm:{next(_keys)}",
            )
        except DomainError as exc:
            assert exc.code == "points_insufficient" and self.balance < -points
            return
        self.balance += points
        self.entries[adj.entry_id] = points

    @rule(days=st.integers(0, 800))
    def expire(self, days):
        self.now = self.now + dt.timedelta(days=days)
        expired = services.points_expire_due(now=self.now)
        assert 0 <= expired <= self.balance
        self.balance -= expired
        assert services.points_expire_due(now=self.now) == 0  # a second run does nothing

    @invariant()
    def balance_is_the_sum_of_the_entries(self):
        if not hasattr(self, "account"):
            return
        account = PointsAccount.objects.unscoped(reason="test").get(pk=self.account.pk)
        entries = LedgerEntry.objects.unscoped(reason="test").filter(account=account)
        assert account.balance == self.balance >= 0
        assert sum(entries.values_list("points", flat=True)) == account.balance
        assert Goods.objects.unscoped(reason="test").get(pk=self.goods.pk).stock == self.stock >= 0


def test_ledger_state_machine(personas, worker, station):
    Ledger.ctx = {
        "worker": worker,
        "station": station,
        "host": personas["host"],
        "courier": personas["courier"],
        "officer": personas["district_officer"],
    }
    run = Ledger.TestCase
    run.settings = settings(
        max_examples=30,
        stateful_step_count=25,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    run().runTest()
