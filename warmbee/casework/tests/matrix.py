"""The casework rows of the authorisation matrix (merged by core/tests/test_matrix.py).

Reference model, written from the role design (ADR 0015), not from the code:

* the case in each position lives in that position's region, at a desk of that region staffed by
  the ``provider`` persona (its handler and the desk's supervisor); in the "own" position the
  case is the ``courier``'s, elsewhere another worker's;
* contents (``READS``): the courier (own position only), the provider where their grant (大庆市)
  covers the region — never an officer;
* existence, desk, status and times (``KNOWS``): officers over the region;
* ``CONFIDENTIAL`` marks the routes whose page could carry contents: the confidentiality test
  (tests/test_confidentiality.py) scans their HTML for the seeded description and note.
"""

from __future__ import annotations

from django.urls import reverse

DESCRIPTION_MARK = "工资拖欠说明MARK-DESC"
NOTE_MARK = "内部笔记MARK-NOTE"
MESSAGE_MARK = "给劳动者的回复MARK-MSG"

WORKER_READS = {"courier": {"own"}}
PROVIDER_READS = {"provider": {"own", "sibling"}}
KNOWS = {
    "district_officer": {"own"},
    "other_district": {"sibling"},
    "city_officer": {"own", "sibling"},
    "province_officer": {"own", "sibling", "other_city"},
}
OFFICERS = set(KNOWS) | {"community_officer"}
# Officers who put providers on desks: the same areas (community officers only look).
MANAGES_DESKS = KNOWS

# Which personas may read which marks, per position (the confidentiality columns).
CONFIDENTIAL = {
    "casework:my_case": {"desc": WORKER_READS, "note": {}, "message": WORKER_READS},
    "casework:case": {"desc": PROVIDER_READS, "note": PROVIDER_READS, "message": PROVIDER_READS},
    "casework:figures": {"desc": {}, "note": {}, "message": {}},
    "api:casework_figures": {"desc": {}, "note": {}, "message": {}},
    "casework:queue": {"desc": {}, "note": {}, "message": {}},
    "casework:my_list": {"desc": {}, "note": {}, "message": {}},
}


def case_setup(state: str = "assigned", handled: bool = True):
    def setup(ctx) -> None:
        import datetime as dt

        from django.utils import timezone

        from warmbee.casework.models import CaseConsent, CaseEntry, HelpRequest
        from warmbee.casework.rules import SHARING_NOTICE_SHA256, SHARING_NOTICE_VERSION
        from warmbee.regions.models import Region

        from .conftest import add_member, make_desk

        provider = ctx["personas"]["provider"]
        region = Region.objects.get(code=ctx["region"])
        desk = make_desk(ctx["region"])
        add_member(desk, provider, supervisor=True)
        worker = ctx["personas"]["courier"] if ctx["position"] == "own" else ctx["target"]
        now = timezone.now()
        closed = state == "closed"
        case = HelpRequest.objects.create(
            region=region,
            kind="labour_relations",
            channel="self",
            description=DESCRIPTION_MARK,
            user=worker,
            contact_name=worker.name,
            contact_phone=worker.phone,
            logged_by=worker,
            desk=desk,
            handled_by=provider if handled else None,
            status="closed" if closed else ("assigned" if handled else "new"),
            outcome="resolved" if closed else "",
            created_at=now - dt.timedelta(hours=2),
            assigned_at=now if handled else None,
            closed_at=now if closed else None,
            response_due_at=now + dt.timedelta(hours=22),
            resolution_due_at=now + dt.timedelta(days=15),
        )
        CaseConsent.objects.create(
            case=case,
            scope="provider",
            notice_version=SHARING_NOTICE_VERSION,
            notice_sha256=SHARING_NOTICE_SHA256,
            channel="self",
            recorded_by=worker,
            given_at=now,
        )
        CaseEntry.objects.create(
            case=case, kind="note", body=NOTE_MARK, written_by=provider, created_at=now
        )
        CaseEntry.objects.create(
            case=case, kind="message", body=MESSAGE_MARK, written_by=provider, created_at=now
        )
        ctx["case"] = case

    return setup


def duty_setup(ctx) -> None:
    from .conftest import add_member, make_desk

    add_member(make_desk("230602"), ctx["personas"]["provider"])


def case_state(ctx) -> dict:
    from warmbee.casework.models import (
        CaseConsent,
        CaseEntry,
        DeskMember,
        HelpRequest,
        Referral,
    )

    def rows(model):
        return list(model.objects.unscoped(reason="test").order_by("pk").values())

    return {
        "cases": rows(HelpRequest),
        "entries": rows(CaseEntry),
        "consents": rows(CaseConsent),
        "referrals": rows(Referral),
        "members": rows(DeskMember),
    }


def case_url(name: str):
    return lambda ctx: reverse(name, args=[ctx["case"].pk])


def u(name: str):
    return lambda ctx: reverse(name)


def _positional(table: dict, ok: int, denied: int = 404):
    def expect(persona, position):
        if persona == "anonymous":
            return 302
        return ok if position in table.get(persona, ()) else denied

    return expect


def _only(personas: set, ok: int = 200):
    def expect(persona, position):
        if persona == "anonymous":
            return 302
        return ok if persona in personas else 404

    return expect


def case_page(persona, position):
    if persona == "anonymous":
        return 302
    if position in WORKER_READS.get(persona, ()):
        return 302  # the worker is sent to their own page
    if position in PROVIDER_READS.get(persona, ()) or position in KNOWS.get(persona, ()):
        return 200
    return 404


def desk_add(persona, position):
    if persona == "anonymous":
        return 302
    if persona not in MANAGES_DESKS:
        return 404
    # The provider persona (大庆市) may serve own and sibling; elsewhere, or at a desk the
    # officer does not manage, the form is shown again with the error and nothing is written.
    ok = position in MANAGES_DESKS[persona] and position in PROVIDER_READS["provider"]
    return 302 if ok else 200


def member_url(ctx):
    from warmbee.casework.models import DeskMember

    member = DeskMember.objects.unscoped(reason="test").get(desk=ctx["case"].desk)
    return reverse("casework:desk_member_remove", args=[member.pk])


def routes(Route) -> dict:
    worker_page = _positional(WORKER_READS, 200)
    worker_action = _positional(WORKER_READS, 302)
    staff_action = _positional(PROVIDER_READS, 302)
    open_case, closed_case = case_setup(), case_setup("closed")

    def action(name, expect, setup, data=None):
        return Route(
            "post",
            case_url(name),
            expect,
            positional=True,
            setup=setup,
            state=case_state,
            changes_state=True,
            data=data,
        )

    return {
        "casework:my_list": Route("get", u("casework:my_list"), _only({"courier"})),
        "casework:ask": Route("get", u("casework:ask"), _only({"courier"})),
        "casework:my_case": Route(
            "get", case_url("casework:my_case"), worker_page, positional=True, setup=open_case
        ),
        "casework:my_reply": action(
            "casework:my_reply", worker_action, open_case, lambda ctx: {"body": "谢谢"}
        ),
        "casework:my_withdraw": action("casework:my_withdraw", worker_action, open_case),
        "casework:my_rate": action(
            "casework:my_rate", worker_action, closed_case, lambda ctx: {"rating": "5"}
        ),
        "casework:my_reopen": action(
            "casework:my_reopen", worker_action, closed_case, lambda ctx: {"reason": "又欠了"}
        ),
        "casework:queue": Route("get", u("casework:queue"), _only({"provider"})),
        "casework:duty": Route(
            "post",
            u("casework:duty"),
            _only({"provider"}, 302),
            setup=duty_setup,
            state=case_state,
            changes_state=True,
            data=lambda ctx: {"on_duty": "0"},
        ),
        "casework:log": Route("get", u("casework:log"), _only({"provider", "host"})),
        "casework:case": Route(
            "get", case_url("casework:case"), case_page, positional=True, setup=open_case
        ),
        "casework:case_entry": action(
            "casework:case_entry",
            staff_action,
            open_case,
            lambda ctx: {"kind": "message", "body": "您好"},
        ),
        "casework:case_reveal": action(
            "casework:case_reveal", _positional(PROVIDER_READS, 200), open_case
        ),
        "casework:case_close": action(
            "casework:case_close", staff_action, open_case, lambda ctx: {"outcome": "resolved"}
        ),
        "casework:case_refer": action(
            "casework:case_refer",
            staff_action,
            open_case,
            lambda ctx: {"target": "12351", "consent": "on"},
        ),
        "casework:case_assign": action(
            "casework:case_assign",
            staff_action,
            case_setup("new", handled=False),
            lambda ctx: {"provider": str(ctx["personas"]["provider"].pk)},
        ),
        "casework:case_reopen": action("casework:case_reopen", staff_action, closed_case),
        "casework:figures": Route("get", u("casework:figures"), _only(OFFICERS)),
        "casework:desks": Route("get", u("casework:desks"), _only(set(MANAGES_DESKS))),
        "casework:desk_member_add": Route(
            "post",
            u("casework:desk_member_add"),
            desk_add,
            positional=True,
            setup=open_case,
            state=case_state,
            changes_state=True,
            data=lambda ctx: {
                "desk": str(ctx["case"].desk_id),
                "phone": ctx["personas"]["provider"].phone,
            },
        ),
        "casework:desk_member_remove": Route(
            "post",
            member_url,
            _positional(MANAGES_DESKS, 302),
            positional=True,
            setup=open_case,
            state=case_state,
            changes_state=True,
        ),
        "api:casework_figures": Route(
            "get",
            u("api:casework_figures"),
            lambda persona, position: (
                401 if persona == "anonymous" else (200 if persona in OFFICERS else 403)
            ),
        ),
    }
