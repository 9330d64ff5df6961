"""Stations in the JSON API: the public finder, the amenity vocabulary, check-ins."""

from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.security import HttpBearer, django_auth
from pydantic import Field

from warmbee.core.errors import NotFound

from . import finder, selectors, services
from .models import Amenity

router = Router(tags=["stations"])

# Public finder answers may be cached by the browser and any proxy for this long.
PUBLIC_MAX_AGE = 30


class NavLink(Schema):
    app: str
    label: str
    url: str


class StationOut(Schema):
    code: str
    name: str
    kind: str
    tier: int
    address: str
    region: str
    lat: float
    lng: float
    gcj02: list[float]
    distance_m: int | None
    open_now: bool
    status: str
    reopens_at: str | None
    hours: str
    amenities: list[str]
    seats: int
    phone: str
    nav: list[NavLink]


class NearbyOut(Schema):
    count: int
    items: list[StationOut]


class NearbyFilters(Schema):
    lat: float = Field(..., ge=-90, le=90, description="WGS-84 latitude")
    lng: float = Field(..., ge=-180, le=180, description="WGS-84 longitude")
    limit: int = Field(10, ge=1, le=selectors.MAX_LIMIT)
    radius: float | None = Field(None, gt=0, le=selectors.MAX_RADIUS_M, description="metres")
    open_now: bool = False
    amenity: list[str] = Field(
        default_factory=list, max_length=20, description="amenity codes; all must be present"
    )


def _public(response, max_age: int = PUBLIC_MAX_AGE):
    patch_cache_control(response, public=True, max_age=max_age)


@router.get("/nearby", response=NearbyOut, auth=None, summary="Nearest stations")
def station_nearby(request, filters: Query[NearbyFilters]):
    """The nearest public stations to a point, nearest first; exact, filterable.

    Send coordinates rounded to about 1 km (2 decimals) and ask for more than you show: the
    finder page re-ranks by the phone's own position so the server never learns it (R31).
    Nothing about the request is stored.
    """
    amenities = tuple(code for value in filters.amenity for code in value.split(",") if code)
    body = selectors.nearby_json(
        selectors.NearbyQuery(
            lat=filters.lat,
            lng=filters.lng,
            limit=filters.limit,
            radius_m=filters.radius,
            open_now=filters.open_now,
            amenities=amenities,
        )
    )
    # Encoded from cached fragments (the response schema above documents it; a test holds the
    # two together): validating 10 items through the schema costs more than the search.
    answer = HttpResponse(body, content_type="application/json; charset=utf-8")
    _public(answer)
    return answer


class AmenityOut(Schema):
    code: str
    name: str
    name_en: str
    icon: str


@router.get("/amenities", response=list[AmenityOut], auth=None, summary="Amenity vocabulary")
def amenity_list(request, response: HttpResponse):
    _public(response, 300)
    return list(Amenity.objects.filter(is_active=True))


@router.get("/{code}", response=StationOut, auth=None, summary="One public station")
def station_detail(request, response: HttpResponse, code: str):
    index = finder.get_index()
    i = index.position.get(selectors.public_station(code).pk)
    if i is None:  # created a moment ago; the index catches up within seconds
        index = finder.get_index(force=True)
        i = index.position.get(selectors.public_station(code).pk)
        if i is None:
            raise NotFound(_("Not found."))
    _public(response)
    return selectors.payload(index, i, None, timezone.now())


class CheckInOut(Schema):
    created: bool
    at: str
    occupancy: int


class CheckInPass(HttpBearer):
    """``Authorization: Bearer <pass>``: the signed check-in pass the check-in page hands its
    button (ADR 0017). Checked by its signature and age alone: no session, account or grant is
    loaded, which is most of what a check-in costs."""

    def authenticate(self, request, token):
        return services.checkin_pass_read(token)


@router.post(
    "/{code}/checkins",
    response=CheckInOut,
    auth=[CheckInPass(), django_auth],
    summary="Check in at a station",
)
def checkin_create(request, code: str):
    """The worker checks in; a repeat within the interval counts once.

    Either with the session (and its CSRF token), or with the page's check-in pass as a
    bearer token and no cookies, which is the fast path.
    """
    if isinstance(request.auth, tuple):
        user_id, station_id = request.auth
        checkin = services.checkin_by_pass(user_id=user_id, station_id=station_id, code=code)
        created = checkin._state.adding
    else:
        station = selectors.public_station(code, lean=True)
        checkin, created = services.checkin_record(actor=request.user, station=station)
    return {
        "created": created,
        "at": checkin.created_at.isoformat(),
        "occupancy": selectors.occupancy(checkin.station_id),
    }
