"""Public station pages: the finder, a station's page, check-in and feedback.

The finder works without an account, without JavaScript (search by district and text) and
without location; with location, the browser sends coordinates rounded to about 1 km to the
nearby API and ranks the answers by its own exact position (R31).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from warmbee.accounts.roles import Perm
from warmbee.core.errors import DomainError, NotFound
from warmbee.core.maps import map_config, navigation_links, to_display
from warmbee.core.uploads import image_response
from warmbee.core.views import attach_error
from warmbee.regions.models import Level, Region

from .. import finder, selectors, services
from ..forms import FeedbackForm, FinderForm
from ..models import Amenity, FeedbackKind, StationPhoto, Tier

PAGE_SIZE = 20


def finder_regions() -> list[Region]:
    """The districts and counties of the deployment's home region, for the no-location search."""
    home = Region.objects.filter(code=settings.HOME_REGION).first()
    if home is None:
        return []
    return list(
        Region.objects.current()
        .filter(path__startswith=home.path, level=Level.COUNTY)
        .order_by("code")
    )


def _card(index: finder.FinderIndex, i: int, at, icons: dict) -> dict:
    item = selectors.payload(index, i, None, at)
    item["url"] = reverse("stations:detail", args=[item["code"]])
    item["amenity_items"] = [icons[c] for c in item["amenities"] if c in icons]
    item["tier_label"] = Tier(item["tier"]).label
    return item


def finder_page(request):
    amenities = list(Amenity.objects.filter(is_active=True))
    regions = finder_regions()
    form = FinderForm(request.GET or None, amenities=amenities, regions=regions)
    items: list[dict] = []
    page = None
    searched = bool(request.GET)
    if searched and form.is_valid():
        region = next((r for r in regions if r.code == form.cleaned_data["region"]), None)
        at = timezone.now()
        try:
            ids = selectors.public_directory(
                region=region,
                q=form.cleaned_data["q"],
                amenities=tuple(form.cleaned_data["amenity"]),
                open_now=form.cleaned_data["open_now"],
                at=at,
            )
        except DomainError as exc:
            attach_error(form, exc)
            ids = []
        page = Paginator(ids, PAGE_SIZE).get_page(request.GET.get("page"))
        index = finder.get_index()
        icons = {a.code: (a.icon, a.label) for a in amenities}
        items = [_card(index, index.position[pk], at, icons) for pk in page if pk in index.position]
    markers = [_marker(item) for item in items]
    return render(
        request,
        "stations/finder.html",
        {
            "form": form,
            "items": items,
            "page": page,
            "searched": searched,
            "amenities": amenities,
            "amenity_icons": {a.code: [a.icon, a.label] for a in amenities},
            "map_config": map_config(),
            "markers": markers,
            "nearby_url": reverse("api:station_nearby"),
            "tier_labels": {str(value): str(label) for value, label in Tier.choices},
        },
    )


def _marker(item: dict) -> dict:
    lat, lng = to_display(item["lat"], item["lng"])
    return {"lat": lat, "lng": lng, "title": item["name"], "url": item["url"], "tier": item["tier"]}


def detail(request, code: str):
    station = selectors.public_station(code)
    schedule, live = selectors.station_schedule(station)
    now = timezone.now()
    amenity_links = station.amenity_links.select_related("amenity").filter(amenity__is_active=True)
    lat, lng = to_display(station.lat, station.lng)
    exceptions = station.exceptions.filter(date__gte=timezone.localdate())[:10]
    return render(
        request,
        "stations/detail.html",
        {
            "station": station,
            "open_now": selectors.station_is_open(station, now),
            "hours_summary": schedule.summary(),
            "exceptions": exceptions,
            "amenity_links": amenity_links,
            "occupancy": selectors.public_count(selectors.occupancy(station, now)),
            "rating": selectors.rating_summary(station),
            "nav": navigation_links(lat=station.lat, lng=station.lng, name=station.name),
            "photos": station.photos.all(),
            "map_config": map_config(),
            "markers": [{"lat": lat, "lng": lng, "title": station.name, "tier": station.tier}],
            "can_keep": request.user.is_authenticated
            and (selectors.is_keeper(request.user, station)),
        },
    )


@require_http_methods(["GET", "POST"])
def checkin(request, code: str):
    """The QR poster's target. GET asks to confirm (a scan must not change state); POST checks in."""
    station = selectors.public_station(code)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    is_worker = request.user.holds(Perm.CHECK_IN)
    if request.method == "POST":
        checkin_row, created = services.checkin_record(actor=request.user, station=station)
        local = timezone.localtime(checkin_row.created_at)
        if created:
            messages.success(
                request, _("Checked in at %(time)s. Welcome!") % {"time": f"{local:%H:%M}"}
            )
        else:
            messages.info(
                request,
                _("You already checked in here at %(time)s; it counts once.")
                % {"time": f"{local:%H:%M}"},
            )
        return redirect("stations:detail", code=station.code)
    context = {"station": station, "is_worker": is_worker}
    if is_worker:
        context["checkin_pass"] = services.checkin_pass_issue(actor=request.user, station=station)
        # The button's answers, filled in by checkin.js (the same words as the form's).
        context["said_created"] = _("Checked in at %(time)s. Welcome!")
        context["said_repeat"] = _("You already checked in here at %(time)s; it counts once.")
    return render(request, "stations/checkin.html", context)


@require_http_methods(["GET", "POST"])
def feedback(request, code: str):
    station = selectors.public_station(code)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    amenities = list(Amenity.objects.filter(is_active=True))
    initial = {"kind": request.GET.get("kind") or FeedbackKind.RATING}
    form = FeedbackForm(request.POST or None, amenities=amenities, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.feedback_submit(
                actor=request.user,
                station=station,
                kind=form.cleaned_data["kind"],
                rating=form.cleaned_data["rating"],
                amenity=form.cleaned_data["amenity"] or None,
                text=form.cleaned_data["text"],
            )
        except DomainError as exc:
            if exc.status != 400:
                raise
            attach_error(form, exc)
        else:
            messages.success(request, _("Thank you. The station's host has been told."))
            return redirect("stations:detail", code=station.code)
    return render(request, "stations/feedback.html", {"station": station, "form": form})


def photo(request, pk: int):
    """A station photo: public for public stations, otherwise only for the station's keepers."""
    row = StationPhoto.objects.select_related("station__region").filter(pk=pk).first()
    if row is None:
        raise NotFound(_("Not found."))
    station = row.station
    public = station.is_public and station.is_active
    if not public and not (
        request.user.is_authenticated and selectors.is_keeper(request.user, station)
    ):
        raise NotFound(_("Not found."))
    return image_response(row.image, download_name=f"{station.code}-{row.pk}")
