"""The application life cycle as a Hypothesis state machine (R39) with actors (R7) and the
budget invariants after every step (R36).

A reference model, written from the rules in ADR 0016 and not from the code, predicts for every
action and actor whether it succeeds or which refusal (class and code) it gets; after each step
the database must agree with the model, and Σ disbursed ≤ Σ approved ≤ budget, with the
programme's cached totals equal to the sums over applications and over the ledger.
"""

from __future__ import annotations

import itertools

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from warmbee.aid import services
from warmbee.aid.models import AidApplication, AidProgramme, Disbursement
from warmbee.core.errors import Conflict, DomainError, Forbidden, NotFound

ACTORS = ["courier", "community_officer", "district_officer", "city_officer", "province_officer"]
RANK = {"courier": -1, "community_officer": 1, "district_officer": 2, "city_officer": 3,
        "province_officer": 4}  # fmt: skip
STEP_RANK = [2, 3]  # county, then prefecture
OFFICERS = ACTORS[1:]
DISBURSERS = {"district_officer", "city_officer", "province_officer"}
KEYS = ["key-aaaaaaaa", "key-bbbbbbbb", "key-cccccccc", "key-dddddddd"]
BUDGET = 400_000


class Ref:
    """What the rules say about one application."""

    def __init__(self, pk, entered_by, own):
        self.pk, self.entered_by, self.own = pk, entered_by, own
        self.status, self.step, self.round = "applied", 0, 1
        self.reviewers: set[str] = set()
        self.approved_by = None
        self.appealed = False
        self.amount = 150_000


def _out_of_scope(actor, ref):
    """The courier lives in 萨尔图区, outside the community officer's street."""
    return ("NotFound", "not_found") if actor == "community_officer" and ref.own else None


def _outcome(fn):
    try:
        fn()
    except (Forbidden, Conflict, NotFound) as exc:
        return (type(exc).__name__, exc.code)
    except DomainError as exc:  # pragma: no cover - the machine sends valid input
        return ("DomainError", exc.code)
    return "ok"


class AidMachine(RuleBasedStateMachine):
    ctx: dict = {}

    def __init__(self):
        super().__init__()
        self.sid = transaction.savepoint()
        c = self.ctx
        self.p = c["make_programme"](budget_fen=BUDGET, evidence=[])
        self.users = c["personas"]
        self.refs: list[Ref] = []
        self.courier_applied = False
        self.keys: dict[str, int] = {}
        self.reserved = 0
        self.counter = itertools.count()

    def teardown(self):
        transaction.savepoint_rollback(self.sid)

    def _app(self, ref):
        return (
            AidApplication.objects.unscoped(reason="test")
            .select_related("programme")
            .get(pk=ref.pk)
        )

    # --- the applicant's side ------------------------------------------------------------------
    @rule(
        enterer=st.sampled_from(
            ["courier", "community_officer", "district_officer", "city_officer"]
        )
    )
    def submit(self, enterer):
        if len(self.refs) >= 6:
            return
        if enterer == "courier":
            worker = self.ctx["applicant"]
            if self.courier_applied:
                result = _outcome(lambda: self.ctx["submit"](self.p, amount_fen=150_000))
                assert result == ("Conflict", "duplicate_application")
                return
        else:
            worker = self.ctx["make_worker"]("230602013")
        app = self.ctx["submit"](
            self.p, actor=self.users[enterer], worker=worker, amount_fen=150_000
        )
        self.courier_applied |= enterer == "courier"
        self.refs.append(Ref(app.pk, enterer, own=enterer == "courier"))

    def _expect_applicant_side(self, actor, ref):
        if actor == "courier" and not ref.own:
            return ("Forbidden", "forbidden")
        return _out_of_scope(actor, ref)

    @rule(data=st.data(), actor=st.sampled_from(ACTORS))
    def resubmit(self, data, actor):
        if not self.refs:
            return
        ref = data.draw(st.sampled_from(self.refs))
        expect = self._expect_applicant_side(actor, ref) or (
            "ok" if ref.status == "returned" else ("Conflict", "wrong_state")
        )
        got = _outcome(
            lambda: services.application_resubmit(
                actor=self.users[actor], application=self._app(ref)
            )
        )
        assert got == expect, (actor, ref.__dict__)
        if got == "ok":
            ref.status, ref.step, ref.round, ref.reviewers = "applied", 0, ref.round + 1, set()

    @rule(data=st.data(), actor=st.sampled_from(ACTORS))
    def appeal(self, data, actor):
        if not self.refs:
            return
        ref = data.draw(st.sampled_from(self.refs))
        expect = self._expect_applicant_side(actor, ref)
        if expect is None:
            if ref.status != "rejected":
                expect = ("Conflict", "wrong_state")
            elif ref.appealed:
                expect = ("Conflict", "appeal_used")
            else:
                expect = "ok"
        got = _outcome(
            lambda: services.application_appeal(
                actor=self.users[actor], application=self._app(ref), reason="请复核"
            )
        )
        assert got == expect, (actor, ref.__dict__)
        if got == "ok":
            ref.status, ref.step, ref.round, ref.reviewers = "applied", 0, ref.round + 1, set()
            ref.appealed = True

    # --- review -----------------------------------------------------------------------------------
    def _expect_review(self, actor, ref, *, final_only=None):
        if actor == "courier":
            return ("Forbidden", "forbidden")
        if _out_of_scope(actor, ref):
            return _out_of_scope(actor, ref)
        if ref.status not in ("applied", "reviewed"):
            return ("Conflict", "wrong_state")
        if RANK[actor] < STEP_RANK[ref.step]:
            return ("Forbidden", "wrong_step")
        if ref.entered_by == actor or actor in ref.reviewers:
            return ("Forbidden", "maker_checker")
        return None

    @rule(data=st.data(), actor=st.sampled_from(ACTORS))
    def review(self, data, actor):
        if not self.refs:
            return
        ref = data.draw(st.sampled_from(self.refs))
        expect = self._expect_review(actor, ref)
        if expect is None:
            expect = ("Conflict", "wrong_state") if ref.step == 1 else "ok"
        got = _outcome(
            lambda: services.application_review(actor=self.users[actor], application=self._app(ref))
        )
        assert got == expect, (actor, ref.__dict__)
        if got == "ok":
            ref.status, ref.step = "reviewed", 1
            ref.reviewers.add(actor)

    @rule(
        data=st.data(),
        actor=st.sampled_from(ACTORS),
        amount=st.sampled_from([100_000, 150_000, 200_000]),
    )
    def approve(self, data, actor, amount):
        if not self.refs:
            return
        ref = data.draw(st.sampled_from(self.refs))
        expect = self._expect_review(actor, ref)
        if expect is None:
            if ref.status != "reviewed" or ref.step != 1:
                expect = ("Conflict", "wrong_state")
            elif self.reserved + amount > BUDGET:
                expect = ("Conflict", "budget_exhausted")
            else:
                expect = "ok"
        got = _outcome(
            lambda: services.application_approve(
                actor=self.users[actor], application=self._app(ref), amount_fen=amount
            )
        )
        assert got == expect, (actor, ref.__dict__)
        if got == "ok":
            ref.status, ref.approved_by, ref.amount = "approved", actor, amount
            ref.reviewers.add(actor)
            self.reserved += amount

    @rule(data=st.data(), actor=st.sampled_from(ACTORS), reject=st.booleans())
    def send_back(self, data, actor, reject):
        if not self.refs:
            return
        ref = data.draw(st.sampled_from(self.refs))
        expect = self._expect_review(actor, ref) or "ok"
        fn = services.application_reject if reject else services.application_return
        kw = {"reason": "不符合"} if reject else {"note": "补充材料"}
        got = _outcome(lambda: fn(actor=self.users[actor], application=self._app(ref), **kw))
        assert got == expect, (actor, ref.__dict__)
        if got == "ok":
            ref.status = "rejected" if reject else "returned"

    @rule(data=st.data(), actor=st.sampled_from(ACTORS))
    def withdraw_approval(self, data, actor):
        if not self.refs:
            return
        ref = data.draw(st.sampled_from(self.refs))
        if actor == "courier":
            expect = ("Forbidden", "forbidden")
        elif _out_of_scope(actor, ref):
            expect = _out_of_scope(actor, ref)
        elif ref.status != "approved":
            expect = ("Conflict", "wrong_state")
        elif RANK[actor] < STEP_RANK[ref.step]:
            expect = ("Forbidden", "wrong_step")
        elif ref.entered_by == actor:
            expect = ("Forbidden", "maker_checker")
        else:
            expect = "ok"
        got = _outcome(
            lambda: services.application_withdraw_approval(
                actor=self.users[actor], application=self._app(ref), reason="本人放弃"
            )
        )
        assert got == expect, (actor, ref.__dict__)
        if got == "ok":
            ref.status = "rejected"
            self.reserved -= ref.amount

    # --- money -------------------------------------------------------------------------------------
    @rule(data=st.data(), actor=st.sampled_from(ACTORS), key=st.sampled_from(KEYS))
    def disburse(self, data, actor, key):
        if not self.refs:
            return
        ref = data.draw(st.sampled_from(self.refs))
        if actor not in DISBURSERS:
            expect = ("Forbidden", "forbidden")
        elif key in self.keys:
            expect = "again" if self.keys[key] == ref.pk else ("Conflict", "idempotency_reused")
        elif ref.approved_by == actor:
            expect = ("Forbidden", "maker_checker")
        elif ref.status != "approved":
            expect = ("Conflict", "wrong_state")
        else:
            expect = "ok"
        result = {}

        def go():
            result["entry"], result["created"] = services.application_disburse(
                actor=self.users[actor], application=self._app(ref), idempotency_key=key
            )

        got = _outcome(go)
        if got == "ok" and not result["created"]:
            got = "again"
        assert got == expect, (actor, key, ref.__dict__)
        if got == "ok":
            ref.status = "disbursed"
            self.keys[key] = ref.pk

    @rule(data=st.data(), actor=st.sampled_from(ACTORS))
    def close(self, data, actor):
        if not self.refs:
            return
        ref = data.draw(st.sampled_from(self.refs))
        if actor not in DISBURSERS:
            expect = ("Forbidden", "forbidden")
        else:
            expect = "ok" if ref.status == "disbursed" else ("Conflict", "wrong_state")
        got = _outcome(
            lambda: services.application_close(actor=self.users[actor], application=self._app(ref))
        )
        assert got == expect
        if got == "ok":
            ref.status = "closed"

    # --- invariants -------------------------------------------------------------------------------
    @invariant()
    def states_match_the_model(self):
        rows = dict(
            AidApplication.objects.unscoped(reason="test")
            .filter(programme=self.p)
            .values_list("pk", "status")
        )
        assert rows == {r.pk: r.status for r in self.refs}

    @invariant()
    def money_adds_up(self):
        p = AidProgramme.objects.unscoped(reason="test").get(pk=self.p.pk)
        apps = AidApplication.objects.unscoped(reason="test").filter(programme=self.p)
        approved = apps.filter(status__in=["approved", "disbursed", "closed"]).aggregate(
            s=Sum("amount_fen", default=0)
        )["s"]
        paid_apps = apps.filter(status__in=["disbursed", "closed"]).aggregate(
            s=Sum("amount_fen", default=0)
        )["s"]
        ledger = (
            Disbursement.objects.unscoped(reason="test")
            .filter(programme=self.p)
            .aggregate(s=Sum("amount_fen", default=0))["s"]
        )
        assert p.disbursed_fen <= p.reserved_fen <= p.budget_fen
        assert p.reserved_fen == approved == self.reserved
        assert p.disbursed_fen == ledger == paid_apps


@pytest.mark.django_db
def test_application_life_cycle(make_programme, personas, submit, applicant, make_worker):
    AidMachine.ctx = {
        "make_programme": make_programme,
        "personas": personas,
        "submit": submit,
        "applicant": applicant,
        "make_worker": make_worker,
    }
    run_state_machine_as_test(
        AidMachine,
        settings=settings(
            max_examples=15,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        ),
    )
