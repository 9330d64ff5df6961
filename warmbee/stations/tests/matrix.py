"""The stations rows of the authorisation matrix (merged by core/tests/test_matrix.py).

Reference model, written from the role design: officers manage stations in their region and
below; community officers see the list of their own area; a station host keeps only the stations
they host (the fixture station in the "own" position is hosted by the ``host`` persona).
"""

from __future__ import annotations

from django.urls import reverse

MANAGES = {
    "district_officer": {"own"},
    "other_district": {"sibling"},
    "city_officer": {"own", "sibling"},
    "province_officer": {"own", "sibling", "other_city"},
}
VIEWS = set(MANAGES) | {"community_officer"}
HOSTS = {"host": {"own"}}
KEEPS = {p: MANAGES.get(p, set()) | HOSTS.get(p, set()) for p in set(MANAGES) | set(HOSTS)}
WORKERS = {"courier"}


def station_setup(ctx) -> None:
    """A public station in the position's region, hosted by the host persona when "own"."""
    from warmbee.regions.models import Region
    from warmbee.stations.models import Amenity, Station, StationAmenity, StationHost

    region = Region.objects.get(code=ctx["region"])
    station = Station.objects.create(
        name="测试驿站",
        address="测试路1号",
        region=region,
        lat=46.59,
        lng=125.10,
        always_open=True,
        seats=8,
    )
    StationAmenity.objects.create(
        station=station, amenity=Amenity.objects.get(code="water"), verified_on="2026-11-01"
    )
    if ctx["position"] == "own":
        StationHost.objects.create(station=station, user=ctx["personas"]["host"])
    ctx["station"] = station


def station_state(ctx) -> dict:
    """Everything a denied request must leave as it was."""
    from warmbee.stations.models import (
        CheckIn,
        Feedback,
        HoursException,
        Station,
        StationAmenity,
        StationHost,
        StationPhoto,
    )

    pk = ctx["station"].pk
    return {
        "stations": list(Station.objects.unscoped(reason="test").order_by("pk").values()),
        "hosts": StationHost.objects.filter(station_id=pk).count(),
        "exceptions": list(HoursException.objects.filter(station_id=pk).values()),
        "amenities": list(StationAmenity.objects.filter(station_id=pk).values()),
        "photos": StationPhoto.objects.filter(station_id=pk).count(),
        "feedback": list(Feedback.objects.unscoped(reason="test").filter(station_id=pk).values()),
        "checkins": CheckIn.objects.unscoped(reason="test").filter(station_id=pk).count(),
    }


def code_url(name: str, *args_from_ctx):
    def url(ctx):
        extra = [a(ctx) for a in args_from_ctx]
        return reverse(name, args=[ctx["station"].code, *extra])

    return url


def keeper_page(persona, position):
    if persona == "anonymous":
        return 302
    return 200 if position in KEEPS.get(persona, ()) else 404


def keeper_action(persona, position):
    if persona == "anonymous":
        return 302
    return 302 if position in KEEPS.get(persona, ()) else 404


def officer_page(persona, position):
    if persona == "anonymous":
        return 302
    return 200 if position in MANAGES.get(persona, ()) else 404


def officer_action(persona, position):
    if persona == "anonymous":
        return 302
    return 302 if position in MANAGES.get(persona, ()) else 404


def routes(Route) -> dict:
    from .matrix_console import routes as console_routes
    from .matrix_host import routes as host_routes
    from .matrix_public import routes as public_routes

    return {**public_routes(Route), **host_routes(Route), **console_routes(Route)}
