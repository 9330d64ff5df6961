"""The civic rows of the authorisation matrix (merged by core/tests/test_matrix.py).

Reference model (ADR 0013): a report in a position's district (for "own": in 萨尔图街道, the
community officer's street) reported by the courier persona. VIEW_REPORT holders see reports
under their grants; HANDLE_REPORT holders (community and district officers) act on them; city
and province officers see but do not act (403). The reporter reaches their own report pages;
everyone else gets 404. The report form, near-duplicate hints and Open311 reads are public;
an Open311 POST without an API key is 403 and writes nothing.
"""

from __future__ import annotations

from django.urls import reverse

SEES = {
    "community_officer": {"own"},
    "district_officer": {"own"},
    "other_district": {"sibling"},
    "city_officer": {"own", "sibling"},
    "province_officer": {"own", "sibling", "other_city"},
}
HANDLES = {"community_officer", "district_officer", "other_district"}


def report_setup(ctx, status="submitted") -> None:
    from django.utils import timezone

    from warmbee.civic.models import Category, CivicReport

    category, _ = Category.objects.get_or_create(
        code="manhole", defaults={"name": "井盖缺失", "name_en": "Missing manhole cover"}
    )
    region = "230602013" if ctx.get("position") == "own" else ctx["region"]
    now = timezone.now()
    ctx["report"] = CivicReport.objects.create(
        category=category,
        reporter=ctx["personas"]["courier"],
        lat="46.600000",
        lng="125.000000",
        region_id=region,
        routed_body="测试社区",
        status=status,
        created_at=now,
        updated_at=now,
        resolved_at=now if status == "resolved" else None,
    )


def resolved_setup(ctx) -> None:
    report_setup(ctx, status="resolved")


def photo_setup(ctx) -> None:
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from warmbee.civic.models import ReportPhoto
    from warmbee.core.uploads import image_store

    report_setup(ctx)
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "orange").save(buffer, "JPEG")
    stored = image_store(
        upload=SimpleUploadedFile("a.jpg", buffer.getvalue(), "image/jpeg"), subdir="civic"
    )
    ctx["photo"] = ReportPhoto.objects.create(
        report=ctx["report"], image=stored.name, width=8, height=8
    )


def report_state(ctx):
    from warmbee.civic.models import CivicReport

    return list(
        CivicReport.objects.unscoped(reason="test").values_list("code", "status", "updated_at")
    )


def everyone(persona, position):
    return 200


def signed_in(persona, position):
    return 302 if persona == "anonymous" else 200


def staff_page(persona, position):
    if persona == "anonymous":
        return 302
    return 200 if persona in SEES else 404


def staff_report(persona, position):
    if persona == "anonymous":
        return 302
    return 200 if position in SEES.get(persona, ()) else 404


def staff_act(persona, position):
    if persona == "anonymous":
        return 302
    if position not in SEES.get(persona, ()):
        return 404
    return 302 if persona in HANDLES else 403


def reporter_page(persona, position):
    if persona == "anonymous":
        return 302
    return 200 if persona == "courier" else 404


def reporter_act(persona, position):
    if persona == "anonymous":
        return 302
    return 302 if persona == "courier" else 404


def photo_access(persona, position):
    """An unmoderated photo: the reporter and the staff who see the report."""
    if persona == "courier" or position in SEES.get(persona, ()):
        return 200
    return 404


def code_url(name):
    return lambda ctx: reverse(name, args=[ctx["report"].code])


def plain(name, *args, query=""):
    return lambda ctx: reverse(name, args=list(args)) + query


def routes(Route) -> dict:
    return {
        "civic:report": Route("get", plain("civic:report"), everyone),
        "civic:nearby": Route(
            "get",
            plain("civic:nearby", query="?category=manhole&lat=46.6&lng=125.0"),
            everyone,
            setup=report_setup,
        ),
        "civic:report_sent": Route(
            "get", code_url("civic:report_sent"), everyone, setup=report_setup
        ),
        "civic:photo": Route(
            "get",
            lambda ctx: reverse("civic:photo", args=[ctx["photo"].pk]),
            photo_access,
            positional=True,
            setup=photo_setup,
        ),
        "civic:my_reports": Route("get", plain("civic:my_reports"), signed_in),
        "civic:my_report": Route(
            "get", code_url("civic:my_report"), reporter_page, positional=True, setup=report_setup
        ),
        "civic:my_report_answer": Route(
            "post",
            code_url("civic:my_report_answer"),
            reporter_act,
            positional=True,
            data=lambda ctx: {"answer": "fixed"},
            changes_state=True,
            setup=resolved_setup,
            state=report_state,
        ),
        "civic:console_queue": Route("get", plain("civic:console_queue"), staff_page),
        "civic:console_figures": Route("get", plain("civic:console_figures"), staff_page),
        "civic:console_report": Route(
            "get",
            code_url("civic:console_report"),
            staff_report,
            positional=True,
            setup=report_setup,
        ),
        "civic:console_report_act": Route(
            "post",
            code_url("civic:console_report_act"),
            staff_act,
            positional=True,
            data=lambda ctx: {"to": "acknowledged"},
            changes_state=True,
            setup=report_setup,
            state=report_state,
        ),
        "open311:api-root": Route("get", plain("open311:api-root"), lambda p, q: 404),
        "open311:discovery": Route("get", plain("open311:discovery", "json"), everyone),
        "open311:services": Route("get", plain("open311:services", "json"), everyone),
        "open311:service": Route(
            "get",
            plain("open311:service", "manhole", "json"),
            everyone,
            setup=report_setup,
        ),
        "open311:requests": Route(
            "get", plain("open311:requests", "json"), everyone, setup=report_setup
        ),
        "open311:requests_post": Route(
            "post",
            plain("open311:requests_post", "json"),
            lambda p, q: 403,
            data=lambda ctx: {"service_code": "manhole", "lat": "46.6", "long": "125.0"},
            changes_state=True,
            setup=report_setup,
            state=report_state,
        ),
        "open311:request": Route(
            "get",
            lambda ctx: reverse("open311:request", args=[ctx["report"].code, "json"]),
            everyone,
            positional=True,
            setup=report_setup,
        ),
        "open311:token": Route(
            "get",
            lambda ctx: reverse("open311:token", args=[ctx["report"].code, "json"]),
            everyone,
            setup=report_setup,
        ),
    }
