"""The aid rows of the authorisation matrix (merged by core/tests/test_matrix.py).

Reference model, from the role design (roles.py ``# --- aid ---``): community, district, city
and province officers see applications (masked) in their region and below, enter them and take
review steps; district, city and province officers also run programmes and pay out. A programme
is seen by staff of its region, below it and above it (a street officer sees the district's
programme). Workers see only their own applications. Maker-checker (R7) is tested per object in
test_services.py and test_machine.py; here every object is set up so the action is allowed for
whoever may see it.
"""

from __future__ import annotations

from django.urls import reverse

SEES_APPS = {
    "district_officer": {"own"},
    "other_district": {"sibling"},
    "city_officer": {"own", "sibling"},
    "province_officer": {"own", "sibling", "other_city"},
}
SEES_PROGRAMMES = {**SEES_APPS, "community_officer": {"own"}}
AID_STAFF = set(SEES_PROGRAMMES)
MANAGERS = set(SEES_APPS)


def _officer(ctx, role="district_officer"):
    from conftest import PASSWORD, next_phone
    from warmbee.accounts.services import operator_user_create
    from warmbee.regions.models import Region

    return operator_user_create(
        phone=next_phone(),
        name="经办人",
        role=role,
        region=Region.objects.get(code=ctx["region"]),
        password=PASSWORD,
    )


def _jpeg():
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (20, 20), (10, 200, 10)).save(buf, format="JPEG")
    return SimpleUploadedFile("e.jpg", buf.getvalue())


def _first_evidence(app):
    from warmbee.aid.models import AidEvidence

    return AidEvidence.objects.unscoped(reason="test").filter(application=app).first()


def programme_setup(ctx, *, status="open") -> None:
    """A programme of the position's district, made by an officer of that district."""
    import datetime as dt

    from django.utils import timezone

    from warmbee.aid import services
    from warmbee.regions.models import Region

    ctx["maker"] = maker = _officer(ctx)
    today = timezone.localdate()
    p = services.programme_create(
        actor=maker,
        name="困难帮扶",
        kind="hardship",
        region=Region.objects.get(code=ctx["region"]),
        cycle="2026",
        opens_on=today - dt.timedelta(days=1),
        closes_on=today + dt.timedelta(days=30),
        budget_fen=1_000_000,
        benefit="fixed",
        amount_fen=200_000,
        evidence=[{"key": "proof", "label": "证明"}],
        review_steps=[
            {"label": "区县初审", "level": "county"},
            {"label": "区县审批", "level": "county"},
        ],
    )
    if status == "open":
        services.programme_set_status(actor=maker, programme=p, status="open")
    ctx["programme"] = p


def application_setup(ctx) -> None:
    """An application entered by the district's officer for a worker of the position."""
    from warmbee.aid import services
    from warmbee.workers.tests.matrix import worker_setup

    programme_setup(ctx)
    worker_setup(ctx)
    ctx["application"] = services.application_submit(
        actor=ctx["maker"],
        programme=ctx["programme"],
        worker=ctx["worker"],
        files={"proof": _jpeg()},
        consent_paper=True,
    )
    ctx["evidence"] = _first_evidence(ctx["application"])


def own_application_setup(ctx, *, rejected=False) -> None:
    """The courier persona's own application (a worker record linked to the account)."""
    from warmbee.aid import services
    from warmbee.orgs.models import Organisation, OrgKind
    from warmbee.privacy.services import notice_publish
    from warmbee.regions.models import Region
    from warmbee.workers.models import Source, Worker

    programme_setup(ctx)
    courier = ctx["personas"]["courier"]
    region = Region.objects.get(code="230602")
    company = Organisation.objects.create(kind=OrgKind.COMPANY, name="矩阵快递二", region=region)
    worker = Worker.objects.create(
        user=courier, name=courier.name, phone=courier.phone, company=company, region=region,
        source=Source.SELF,
    )  # fmt: skip
    notice_publish(actor=ctx["maker"], purpose="aid_financial", title="告知", body="告知书")
    app = services.application_submit(
        actor=courier,
        programme=ctx["programme"],
        worker=worker,
        files={"proof": _jpeg()},
        consent_financial=True,
    )
    if rejected:
        services.application_reject(actor=ctx["maker"], application=app, reason="材料不全")
    ctx["application"] = app
    ctx["evidence"] = _first_evidence(app)


def list_setup(ctx) -> None:
    from warmbee.aid import services

    programme_setup(ctx)
    ctx["payment_list"] = services.payment_list_request(
        actor=ctx["maker"], programme=ctx["programme"], reason="月度发放"
    )


def aid_state(ctx) -> dict:
    from warmbee.aid.models import AidApplication, AidProgramme, PaymentList

    return {
        "programmes": list(AidProgramme.objects.unscoped(reason="test").values()),
        "applications": list(AidApplication.objects.unscoped(reason="test").values()),
        "lists": list(PaymentList.objects.unscoped(reason="test").values()),
    }


def _page(holders):
    def expect(persona, position):
        if persona == "anonymous":
            return 302
        return 200 if persona in holders else 404

    return expect


def _positional(table, ok=200):
    def expect(persona, position):
        if persona == "anonymous":
            return 302
        return ok if position in table.get(persona, ()) else 404

    return expect


def _courier_only(ok=200):
    def expect(persona, position):
        if persona == "anonymous":
            return 302
        return ok if persona == "courier" else 404

    return expect


def _url(name, key):
    return lambda ctx: reverse(name, args=[ctx[key].pk])


def routes(Route) -> dict:
    from conftest import ALL_PERSONAS

    signed_in = set(ALL_PERSONAS) - {"anonymous"}
    return {
        # The worker's pages.
        "aid:me_programmes": Route(
            "get", lambda ctx: reverse("aid:me_programmes"), _page(signed_in)
        ),
        "aid:me_apply": Route(
            "get",
            _url("aid:me_apply", "programme"),
            _courier_only(),
            setup=lambda ctx: own_application_setup(ctx),
        ),
        "aid:me_application": Route(
            "get",
            _url("aid:me_application", "application"),
            _courier_only(),
            setup=own_application_setup,
        ),
        "aid:me_application_act": Route(
            "post",
            lambda ctx: reverse("aid:me_application_act", args=[ctx["application"].pk, "appeal"]),
            _courier_only(302),
            setup=lambda ctx: own_application_setup(ctx, rejected=True),
            state=aid_state,
            data=lambda ctx: {"note": "请复核"},
            changes_state=True,
        ),
        "aid:me_evidence": Route(
            "get", _url("aid:me_evidence", "evidence"), _courier_only(), setup=own_application_setup
        ),
        # Staff.
        "aid:console_programmes": Route(
            "get", lambda ctx: reverse("aid:console_programmes"), _page(AID_STAFF)
        ),
        "aid:console_figures": Route(
            "get", lambda ctx: reverse("aid:console_figures"), _page(AID_STAFF)
        ),
        "aid:console_programme_new": Route(
            "get", lambda ctx: reverse("aid:console_programme_new"), _page(MANAGERS)
        ),
        "aid:console_programme": Route(
            "get",
            _url("aid:console_programme", "programme"),
            _positional(SEES_PROGRAMMES),
            positional=True,
            setup=programme_setup,
        ),
        "aid:console_programme_status": Route(
            "post",
            _url("aid:console_programme_status", "programme"),
            _positional(SEES_APPS, 302),
            positional=True,
            setup=lambda ctx: programme_setup(ctx, status="draft"),
            state=aid_state,
            data=lambda ctx: {"status": "open"},
            changes_state=True,
        ),
        "aid:console_enter": Route(
            "get",
            _url("aid:console_enter", "programme"),
            _positional(SEES_PROGRAMMES),
            positional=True,
            setup=programme_setup,
        ),
        "aid:console_payment_list_new": Route(
            "post",
            _url("aid:console_payment_list_new", "programme"),
            _positional(SEES_APPS, 302),
            positional=True,
            setup=programme_setup,
            state=aid_state,
            data=lambda ctx: {"reason": "月度发放"},
            changes_state=True,
        ),
        "aid:console_application": Route(
            "get",
            _url("aid:console_application", "application"),
            _positional(SEES_APPS),
            positional=True,
            setup=application_setup,
        ),
        "aid:console_application_act": Route(
            "post",
            lambda ctx: reverse(
                "aid:console_application_act", args=[ctx["application"].pk, "review"]
            ),
            _positional(SEES_APPS, 302),
            positional=True,
            setup=application_setup,
            state=aid_state,
            data=lambda ctx: {"note": "材料齐全"},
            changes_state=True,
        ),
        "aid:console_evidence": Route(
            "get",
            _url("aid:console_evidence", "evidence"),
            _positional(SEES_APPS),
            positional=True,
            setup=application_setup,
        ),
        "aid:console_payment_list_approve": Route(
            "post",
            _url("aid:console_payment_list_approve", "payment_list"),
            _positional(SEES_APPS, 302),
            positional=True,
            setup=list_setup,
            state=aid_state,
            changes_state=True,
        ),
        "aid:console_payment_list_download": Route(
            "get",
            _url("aid:console_payment_list_download", "payment_list"),
            lambda persona, position: 302 if persona == "anonymous" else 404,
            positional=True,
            setup=list_setup,
            state=aid_state,
            changes_state=True,
        ),
    }
