"""Public station pages and the stations API in the authorisation matrix."""

from __future__ import annotations

from django.urls import reverse

from conftest import ALL_PERSONAS

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


def routes(Route) -> dict:
    return {
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


assert ALL_PERSONAS
