"""The case life cycle as a Hypothesis state machine with actors (R39, R4).

Actors: the worker, the assigned provider (A or B, whoever the case is with), the other member
of the desk, the desk's supervisor, a provider of another desk and the district officer. Each
step tries an action as one of them; a reference model says whether it must succeed and what the
case becomes. Invariants after every step: the stored status is the model's, only allowed
transitions happened (a refused action changed nothing), and contents reach only the worker,
the handler and the supervisor.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)

from warmbee.accounts.roles import Role
from warmbee.casework import rules, selectors, services
from warmbee.casework.models import HelpRequest, Status
from warmbee.core.errors import Conflict, DomainError, Forbidden, NotFound

from .conftest import add_member, make_desk

ACTORS = ["worker", "a", "b", "supervisor", "other", "officer"]
STAFF_KINDS = ["contact", "action", "note", "message"]
OPEN = {Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS}


@pytest.fixture
def people(personas, make_user):
    desk = make_desk("230602")
    a, b = personas["provider"], make_user(Role.PROVIDER, "230600", name="乙专员")
    supervisor = make_user(Role.PROVIDER, "230600", name="主管")
    other = make_user(Role.PROVIDER, "230600", name="调解员")
    add_member(desk, a)
    add_member(desk, b, on_duty=False)
    add_member(desk, supervisor, supervisor=True, on_duty=False)
    add_member(make_desk("230602", "mediation"), other)
    return {
        "worker": personas["courier"],
        "a": a,
        "b": b,
        "supervisor": supervisor,
        "other": other,
        "officer": personas["district_officer"],
    }


def test_case_life_cycle(people, settings):
    settings.CASEWORK_REQUESTS_PER_DAY = 10**6
    secret = "保密内容-SM"

    class CaseMachine(RuleBasedStateMachine):
        cases = Bundle("cases")

        def __init__(self):
            super().__init__()
            self.model: dict[int, dict] = {}
            self.seen: dict[int, str] = {}

        # --- the reference model ---------------------------------------------------------
        def role(self, who: str, pk: int) -> str | None:
            m = self.model[pk]
            if who == "worker":
                return "worker"
            if who == m["handler"]:
                return "handler"
            if who == "supervisor":
                return "supervisor"
            return None

        def case(self, pk) -> HelpRequest:
            return HelpRequest.objects.unscoped(reason="test").get(pk=pk)

        def snapshot(self, pk):
            return (
                HelpRequest.objects.unscoped(reason="test")
                .filter(pk=pk)
                .values("status", "outcome", "handled_by_id", "rating", "first_response_at")
                .get()
            )

        def attempt(self, pk, call, expect_error):
            before = self.snapshot(pk)
            if expect_error is None:
                call()
                return True
            with pytest.raises(expect_error):
                call()
            assert self.snapshot(pk) == before, "a refused action changed the case"
            return False

        # --- rules -----------------------------------------------------------------------
        @rule(target=cases, urgent=st.booleans())
        def ask(self, urgent):
            text = (secret + " 我不想活了") if urgent else secret + " 工资被扣"
            case, hotlines = services.help_request_create(
                actor=people["worker"], kind="labour_relations", description=text, consent=True
            )
            assert bool(hotlines) == urgent and case.crisis == urgent
            assert case.status == Status.ASSIGNED and case.handled_by == people["a"]
            self.model[case.pk] = {
                "status": Status.ASSIGNED,
                "handler": "a",
                "rated": False,
                "consent": True,
            }
            return case.pk

        @rule(pk=cases, who=st.sampled_from(ACTORS), kind=st.sampled_from(STAFF_KINDS))
        def add_entry(self, pk, who, kind):
            m, role = self.model[pk], self.role(who, pk)
            kind = "worker" if role == "worker" else kind
            if role is None:
                error = NotFound
            elif m["status"] not in OPEN:
                error = Conflict
            else:
                error = None
            ok = self.attempt(
                pk,
                lambda: services.case_add_entry(
                    actor=people[who], case=self.case(pk), kind=kind, body=secret
                ),
                error,
            )
            if ok and role != "worker" and kind in ("contact", "message"):
                m["status"] = Status.IN_PROGRESS

        @rule(
            pk=cases,
            who=st.sampled_from(ACTORS),
            outcome=st.sampled_from(["resolved", "unreachable", "referred"]),
        )
        def close(self, pk, who, outcome):
            m, role = self.model[pk], self.role(who, pk)
            if role not in ("handler", "supervisor"):
                error = NotFound
            elif m["status"] not in (Status.ASSIGNED, Status.IN_PROGRESS):
                error = Conflict
            else:
                error = None
            if outcome == "referred":
                call = lambda: services.case_refer(  # noqa: E731
                    actor=people[who], case=self.case(pk), target="12351", consent=True
                )
            else:
                call = lambda: services.case_close(  # noqa: E731
                    actor=people[who], case=self.case(pk), outcome=outcome
                )
            if self.attempt(pk, call, error):
                m["status"] = Status.CLOSED

        @rule(pk=cases, who=st.sampled_from(ACTORS))
        def withdraw(self, pk, who):
            m, role = self.model[pk], self.role(who, pk)
            error = NotFound if role != "worker" else (None if m["status"] in OPEN else Conflict)
            if self.attempt(
                pk, lambda: services.case_withdraw(actor=people[who], case=self.case(pk)), error
            ):
                m["status"] = Status.CLOSED
                m["consent"] = False

        @rule(pk=cases, who=st.sampled_from(ACTORS))
        def reopen(self, pk, who):
            m, role = self.model[pk], self.role(who, pk)
            if role is None:
                error = NotFound
            elif m["status"] != Status.CLOSED:
                error = Conflict
            elif not m["consent"] and role != "worker":
                error = Conflict  # R25: only the worker reopens after withdrawing consent
            else:
                error = None
            if self.attempt(
                pk, lambda: services.case_reopen(actor=people[who], case=self.case(pk)), error
            ):
                m["status"] = Status.IN_PROGRESS
                m["consent"] = True

        @rule(pk=cases, who=st.sampled_from(ACTORS), stars=st.integers(1, 5))
        def rate(self, pk, who, stars):
            m, role = self.model[pk], self.role(who, pk)
            if role != "worker":
                error = NotFound
            elif m["status"] != Status.CLOSED or m["rated"]:
                error = Conflict
            else:
                error = None
            if self.attempt(
                pk,
                lambda: services.case_rate(actor=people[who], case=self.case(pk), rating=stars),
                error,
            ):
                m["rated"] = True

        @rule(pk=cases, who=st.sampled_from(ACTORS), to=st.sampled_from(["a", "b"]))
        def assign(self, pk, who, to):
            m, role = self.model[pk], self.role(who, pk)
            if role == "supervisor":
                if m["status"] not in OPEN:
                    error = Conflict
                elif to == m["handler"]:
                    error = DomainError
                else:
                    error = None
            elif role == "handler":
                error = Forbidden
            else:
                error = NotFound
            if self.attempt(
                pk,
                lambda: services.case_assign(
                    actor=people[who], case=self.case(pk), provider=people[to]
                ),
                error,
            ):
                m["handler"] = to

        # --- invariants ------------------------------------------------------------------
        @invariant()
        def stored_state_is_the_models(self):
            for pk, m in self.model.items():
                case = self.case(pk)
                assert case.status == m["status"]
                assert (case.status == Status.CLOSED) == bool(case.outcome)
                assert case.handled_by_id == people[m["handler"]].pk
                live = case.consents.filter(scope="provider", withdrawn_at=None).exists()
                assert live == m["consent"]
                # Only allowed transitions: the status moved along the table, or not at all.
                prev = self.seen.get(pk, Status.ASSIGNED)
                reachable = {to for (frm, _a), to in rules.TRANSITIONS.items() if frm == prev}
                assert case.status == prev or case.status in reachable, (prev, case.status)
                self.seen[pk] = case.status

        @invariant()
        def contents_reach_only_those_who_may_read_them(self):
            for pk in self.model:
                for who in ACTORS:
                    expected = self.role(who, pk)
                    try:
                        case, role = selectors.access_case(people[who], pk)
                    except NotFound:
                        role = None
                    if who == "officer":
                        assert role == "officer"
                        assert selectors.timeline(case, role) == []
                    else:
                        assert role == expected, (who, role, expected)
                    if role == "worker":
                        assert all(
                            e.kind in ("message", "worker", "status")
                            for e in selectors.timeline(case, role)
                        )
                row = selectors.meta_rows(people["officer"]).get(pk=pk)
                assert secret not in str(row)

    run_state_machine_as_test(
        CaseMachine,
        settings=settings_for_machine(),
    )


def settings_for_machine():
    return hypothesis_settings(
        max_examples=25,
        stateful_step_count=12,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
