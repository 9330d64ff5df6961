"""Public station pages and the stations API in the authorisation matrix."""

from __future__ import annotations

from django.urls import reverse

from .matrix import WORKERS, code_url, station_setup, station_state


def everyone(status=200):
    return lambda persona, position: status


def signed_in(persona, position):
    return 302 if persona == "anonymous" else 200


def photo_setup(ctx) -> None:
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from warmbee.core.uploads import image_store
    from warmbee.stations.models import StationPhoto

    station_setup(ctx)
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "orange").save(buffer, "JPEG")
    stored = image_store(
        upload=SimpleUploadedFile("a.jpg", buffer.getvalue(), "image/jpeg"), subdir="stations"
    )
    ctx["photo"] = StationPhoto.objects.create(
        station=ctx["station"], image=stored.name, width=8, height=8
    )


def api_checkin(persona, position):
    if persona == "anonymous":
        return 401
    return 200 if persona in WORKERS else 403


def hsds_url(name, kind):
    def url(ctx):
        from warmbee.stations import hsds

        return reverse(name, args=[hsds.hsds_id(kind, ctx["station"].code)])

    return url


def plain(name, query=""):
    return lambda ctx: reverse(name) + query


def hsds_routes(Route) -> dict:
    from warmbee.stations import hsds

    return {
        "hsds:meta": Route("get", plain("hsds:meta"), everyone()),
        "hsds:api-root": Route("get", plain("hsds:api-root"), everyone()),
        "hsds:openapi-json": Route("get", plain("hsds:openapi-json"), everyone()),
        "hsds:service_list": Route(
            "get",
            plain("hsds:service_list", "?lat=46.6&lng=125.1"),
            everyone(),
            setup=station_setup,
        ),
        "hsds:sal_list": Route("get", plain("hsds:sal_list"), everyone(), setup=station_setup),
        "hsds:organization_list": Route(
            "get", plain("hsds:organization_list"), everyone(), setup=station_setup
        ),
        "hsds:taxonomy_list": Route("get", plain("hsds:taxonomy_list"), everyone()),
        "hsds:term_list": Route("get", plain("hsds:term_list"), everyone()),
        "hsds:service_detail": Route(
            "get",
            hsds_url("hsds:service_detail", "service"),
            everyone(),
            positional=True,
            setup=station_setup,
        ),
        "hsds:sal_detail": Route(
            "get",
            hsds_url("hsds:sal_detail", "sal"),
            everyone(),
            positional=True,
            setup=station_setup,
        ),
        "hsds:location_detail": Route(
            "get",
            hsds_url("hsds:location_detail", "location"),
            everyone(),
            positional=True,
            setup=station_setup,
        ),
        "hsds:organization_detail": Route(
            "get",
            lambda ctx: reverse("hsds:organization_detail", args=[hsds.org_id("")]),
            everyone(),
            setup=station_setup,
        ),
        "hsds:taxonomy_detail": Route(
            "get", lambda ctx: reverse("hsds:taxonomy_detail", args=[hsds.TAXONOMY_ID]), everyone()
        ),
        "hsds:term_detail": Route(
            "get", lambda ctx: reverse("hsds:term_detail", args=[hsds.term_id("water")]), everyone()
        ),
    }


def routes(Route) -> dict:
    return {
        **hsds_routes(Route),
        "stations:finder": Route("get", lambda ctx: reverse("stations:finder"), everyone()),
        "stations:detail": Route(
            "get", code_url("stations:detail"), everyone(), positional=True, setup=station_setup
        ),
        "stations:checkin": Route(
            "get", code_url("stations:checkin"), signed_in, setup=station_setup
        ),
        "stations:feedback": Route(
            "get", code_url("stations:feedback"), signed_in, setup=station_setup
        ),
        "stations:photo": Route(
            "get",
            lambda ctx: reverse("stations:photo", args=[ctx["photo"].pk]),
            everyone(),
            positional=True,
            setup=photo_setup,
        ),
        "api:station_nearby": Route(
            "get", lambda ctx: reverse("api:station_nearby") + "?lat=46.6&lng=125.1", everyone()
        ),
        "api:amenity_list": Route("get", lambda ctx: reverse("api:amenity_list"), everyone()),
        "api:station_detail": Route(
            "get",
            lambda ctx: reverse("api:station_detail", args=[ctx["station"].code]),
            everyone(),
            positional=True,
            setup=station_setup,
        ),
        "api:checkin_create": Route(
            "post_json",
            lambda ctx: reverse("api:checkin_create", args=[ctx["station"].code]),
            api_checkin,
            setup=station_setup,
            state=station_state,
            changes_state=False,
        ),
    }
