"""Station writes. Each is one transaction with its audit row, then a finder refresh (STYLE.md).

Check-ins are the exception to "one audit row per change": a check-in is itself an append-only
record of who did what and when, written by the worker about themselves at a high rate, so it
is not repeated in the audit chain (ADR 0005).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.core import signing
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from warmbee.accounts.roles import Perm
from warmbee.accounts.scoping import authorize, has_perm
from warmbee.audit.services import diff, record
from warmbee.core import ratelimit
from warmbee.core.errors import DomainError, Forbidden, NotFound
from warmbee.core.validators import clean_model as _clean
from warmbee.regions.models import Level, Region

from . import finder
from .hours import DAY, interval
from .models import (
    CLOSED_STATUSES,
    Amenity,
    CheckIn,
    Feedback,
    FeedbackKind,
    FeedbackStatus,
    HoursException,
    LiveStatus,
    Station,
    StationAmenity,
    StationHost,
    StationPhoto,
)
from .selectors import is_keeper

STATION_LEVELS = frozenset({Level.COUNTY, Level.TOWNSHIP, Level.COMMUNITY})
EDITABLE = (
    "name",
    "kind",
    "tier",
    "host_org_name",
    "address",
    "region",
    "lat",
    "lng",
    "seats",
    "phone",
    "description",
    "is_public",
)
MAX_INTERVALS_PER_DAY = 4
MAX_PHOTOS = 12


# --- validation ----------------------------------------------------------------------------------
def check_station_region(region: Region) -> None:
    """Stations sit in a district, county or street (not a city or a community)."""
    if region.level not in STATION_LEVELS or region.retired:
        raise DomainError(
            _("Choose a district, county or street for the station."),
            code="region_level",
            field="region",
        )


def clean_weekly_hours(value) -> list[list]:
    """``[[weekday, "HH:MM", "HH:MM"], …]`` validated, normalised and sorted."""
    if value in (None, ""):
        return []
    if not isinstance(value, list | tuple):
        raise DomainError(_("Opening hours must be a list."), code="hours", field="weekly_hours")
    rows: list[list] = []
    per_day: dict[int, list[tuple[int, int]]] = {}
    for item in value:
        try:
            weekday, opens, closes = item
            weekday = int(weekday)
            t_open = dt.time.fromisoformat(str(opens))
            t_close = dt.time.fromisoformat(str(closes))
        except (TypeError, ValueError):
            raise DomainError(
                _("Each opening interval needs a weekday (0–6) and two times like 08:00."),
                code="hours",
                field="weekly_hours",
            ) from None
        if not 0 <= weekday <= 6:
            raise DomainError(
                _("Weekdays run from 0 (Monday) to 6 (Sunday)."), code="hours", field="weekly_hours"
            )
        per_day.setdefault(weekday, []).append(interval(t_open, t_close))
        rows.append([weekday, t_open.strftime("%H:%M"), t_close.strftime("%H:%M")])
    for weekday, intervals in per_day.items():
        if len(intervals) > MAX_INTERVALS_PER_DAY:
            raise DomainError(
                _("At most %(n)d opening intervals a day.") % {"n": MAX_INTERVALS_PER_DAY},
                code="hours",
                field="weekly_hours",
            )
        intervals.sort()
        for (_s1, e1), (s2, _e2) in zip(intervals, intervals[1:], strict=False):
            if s2 < e1:
                raise DomainError(
                    _("Opening intervals on the same day overlap."),
                    code="hours_overlap",
                    field="weekly_hours",
                )
        # An interval past midnight must not run into the next day's first interval.
        following = sorted(per_day.get((weekday + 1) % 7, []))
        if following and intervals[-1][1] > DAY and intervals[-1][1] - DAY > following[0][0]:
            raise DomainError(
                _("An interval past midnight overlaps the next day's hours."),
                code="hours_overlap",
                field="weekly_hours",
            )
    return sorted(rows, key=lambda r: (r[0], r[1]))


def host_org_for(name: str):
    """The registry's active organisation called ``name`` (full or short name), when exactly
    one is; organisations are reference data, so not scoped."""
    from warmbee.orgs.models import Organisation

    name = (name or "").strip()
    if not name:
        return None
    found = list(
        Organisation.objects.unscoped(reason="a station's host organisation by name")
        .filter(Q(name=name) | Q(short_name=name), is_active=True)
        .values_list("pk", flat=True)[:2]
    )
    return found[0] if len(found) == 1 else None


def _snapshot(station: Station) -> dict:
    values = {name: getattr(station, name) for name in EDITABLE if name != "region"}
    values["region"] = station.region_id
    return values


# --- access for hosts ----------------------------------------------------------------------------
def authorize_keeper(actor, station: Station) -> None:
    """Hosts of this station and officers who manage its region (``selectors.is_keeper``)."""
    if not getattr(actor, "is_authenticated", False):
        raise Forbidden(_("You do not have permission to do this."))
    if not is_keeper(actor, station):
        raise NotFound(_("Not found."))


def _locked(station: Station) -> Station:
    return (
        Station.objects.unscoped(reason="row lock after authorisation")
        .select_for_update()
        .select_related("region")
        .get(pk=station.pk)
    )


# --- officers: the network -----------------------------------------------------------------------
def station_create(
    *,
    actor,
    name: str,
    address: str,
    region: Region,
    lat: float,
    lng: float,
    kind: str = "warmbee",
    tier: int = 2,
    host_org_name: str = "",
    seats: int = 0,
    phone: str = "",
    description: str = "",
    is_public: bool = True,
    always_open: bool = False,
    weekly_hours=(),
    amenities: Iterable[str] = (),
    verified_on: dt.date | None = None,
) -> Station:
    authorize(actor, Perm.MANAGE_STATION, region=region)
    check_station_region(region)
    station = Station(
        name=(name or "").strip(),
        address=(address or "").strip(),
        region=region,
        lat=lat,
        lng=lng,
        kind=kind,
        tier=tier,
        host_org_name=(host_org_name or "").strip(),
        seats=seats or 0,
        phone=(phone or "").strip(),
        description=description or "",
        is_public=is_public,
        always_open=always_open,
        weekly_hours=clean_weekly_hours(list(weekly_hours)),
    )
    station.host_org_id = host_org_for(station.host_org_name)
    _clean(station, exclude=["code", "host_org"])
    with transaction.atomic():
        station.save()
        codes = _set_amenities(station, amenities, verified_on or timezone.localdate())
        record(
            actor=actor,
            action="station.create",
            target=station,
            region=region,
            changes={
                **_snapshot(station),
                "amenities": codes,
                "weekly_hours": station.weekly_hours,
            },
        )
        finder.invalidate()
    return station


def station_update(*, actor, station: Station, **changes) -> Station:
    authorize(actor, Perm.MANAGE_STATION, obj=station)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise DomainError(_("These fields cannot be changed here."), field=sorted(unknown)[0])
    if "region" in changes and changes["region"].pk != station.region_id:
        authorize(actor, Perm.MANAGE_STATION, region=changes["region"])
        check_station_region(changes["region"])
    with transaction.atomic():
        station = _locked(station)
        before = _snapshot(station)
        for name, value in changes.items():
            setattr(station, name, value.strip() if isinstance(value, str) else value)
        _clean(station)
        after = _snapshot(station)
        changed = diff(before, after)
        if not changed:
            return station
        fields = [f for f in EDITABLE if f in changed]
        if "host_org_name" in changed:
            station.host_org_id = host_org_for(station.host_org_name)
            fields.append("host_org")
        station.save(update_fields=[*fields, "updated_at"])
        record(
            actor=actor,
            action="station.update",
            target=station,
            region=station.region,
            changes=changed,
        )
        finder.invalidate()
    return station


def station_close(*, actor, station: Station, reason: str) -> Station:
    """Take a station out of service for good (it disappears from the finder)."""
    authorize(actor, Perm.MANAGE_STATION, obj=station)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the station is closing."), code="required", field="reason")
    with transaction.atomic():
        station = _locked(station)
        if not station.is_active:
            return station
        station.is_active = False
        station.save(update_fields=["is_active", "updated_at"])
        record(
            actor=actor,
            action="station.close",
            target=station,
            region=station.region,
            changes={"is_active": [True, False]},
            reason=reason,
        )
        finder.invalidate()
    return station


def station_reopen(*, actor, station: Station) -> Station:
    authorize(actor, Perm.MANAGE_STATION, obj=station)
    with transaction.atomic():
        station = _locked(station)
        if station.is_active:
            return station
        station.is_active = True
        station.save(update_fields=["is_active", "updated_at"])
        record(
            actor=actor,
            action="station.reopen",
            target=station,
            region=station.region,
            changes={"is_active": [False, True]},
        )
        finder.invalidate()
    return station


def station_host_add(*, actor, station: Station, user) -> StationHost:
    authorize(actor, Perm.MANAGE_STATION, obj=station)
    if not has_perm(user, Perm.HOST_STATION, station.region):
        raise DomainError(
            _("Grant this account the station host role in the station's area first."),
            code="not_a_host",
            field="phone",
        )
    with transaction.atomic():
        link, created = StationHost.objects.get_or_create(station=station, user=user)
        if created:
            record(
                actor=actor,
                action="station.host_add",
                target=station,
                region=station.region,
                changes={"host": [None, user.pk]},
            )
    return link


def station_host_remove(*, actor, station: Station, user) -> None:
    authorize(actor, Perm.MANAGE_STATION, obj=station)
    with transaction.atomic():
        deleted, _rows = StationHost.objects.filter(station=station, user=user).delete()
        if deleted:
            record(
                actor=actor,
                action="station.host_remove",
                target=station,
                region=station.region,
                changes={"host": [user.pk, None]},
            )


def station_export_record(*, actor, rows: int) -> None:
    """An officer downloaded the station list (the rows were read through their scope)."""
    authorize(actor, Perm.VIEW_STATION)
    with transaction.atomic():
        record(actor=actor, action="station.export", changes={"rows": rows})


# --- hosts and officers: keeping a station current ----------------------------------------------
def station_set_status(
    *,
    actor,
    station: Station,
    status: str,
    reason: str = "",
    reopens_at: dt.datetime | None = None,
) -> Station:
    authorize_keeper(actor, station)
    if status not in LiveStatus.values:
        raise DomainError(_("Choose a status from the list."), code="invalid", field="status")
    reason = (reason or "").strip()
    if status == LiveStatus.TEMP_CLOSED and not reason:
        raise DomainError(
            _("Say why the station is temporarily closed."), code="required", field="reason"
        )
    now = timezone.now()
    if status in CLOSED_STATUSES:
        if reopens_at is not None and reopens_at <= now:
            raise DomainError(
                _("The reopening time must be in the future."), code="past", field="reopens_at"
            )
        if status == LiveStatus.CLOSED and reopens_at is None:
            # "Closed for now" lasts until the next local midnight unless said otherwise.
            tomorrow = timezone.localdate() + dt.timedelta(days=1)
            reopens_at = timezone.make_aware(dt.datetime.combine(tomorrow, dt.time.min))
    else:
        reason, reopens_at = "", None
    with transaction.atomic():
        station = _locked(station)
        before = {
            "status": station.status,
            "status_reason": station.status_reason,
            "reopens_at": station.reopens_at,
        }
        station.status, station.status_reason, station.reopens_at = status, reason, reopens_at
        station.status_changed_at = now
        _clean(station)
        station.save(update_fields=["status", "status_reason", "reopens_at", "status_changed_at"])
        after = {"status": status, "status_reason": reason, "reopens_at": reopens_at}
        record(
            actor=actor,
            action="station.status",
            target=station,
            region=station.region,
            changes=diff(before, after),
        )
        finder.invalidate(live_only=True)
    return station


def station_set_hours(*, actor, station: Station, always_open: bool, weekly_hours) -> Station:
    authorize_keeper(actor, station)
    rows = clean_weekly_hours(weekly_hours)
    if not always_open and not rows:
        raise DomainError(
            _("Give at least one opening interval, or mark the station as open 24 hours."),
            code="required",
            field="weekly_hours",
        )
    with transaction.atomic():
        station = _locked(station)
        before = {"always_open": station.always_open, "weekly_hours": station.weekly_hours}
        station.always_open, station.weekly_hours = bool(always_open), rows
        station.save(update_fields=["always_open", "weekly_hours", "updated_at"])
        after = {"always_open": station.always_open, "weekly_hours": rows}
        changed = diff(before, after)
        if changed:
            record(
                actor=actor,
                action="station.hours",
                target=station,
                region=station.region,
                changes=changed,
            )
            finder.invalidate()
    return station


def station_set_exception(
    *,
    actor,
    station: Station,
    date: dt.date,
    closed: bool,
    opens: dt.time | None = None,
    closes: dt.time | None = None,
    note: str = "",
) -> HoursException:
    authorize_keeper(actor, station)
    if date < timezone.localdate():
        raise DomainError(_("Choose today or a later date."), code="past", field="date")
    if not closed and (opens is None or closes is None):
        raise DomainError(
            _("Give the opening and closing times, or mark the day closed."),
            code="required",
            field="opens",
        )
    with transaction.atomic():
        exc, _created = HoursException.objects.update_or_create(
            station=station,
            date=date,
            defaults={
                "closed": closed,
                "opens": None if closed else opens,
                "closes": None if closed else closes,
                "note": (note or "").strip()[:80],
            },
        )
        record(
            actor=actor,
            action="station.exception_set",
            target=station,
            region=station.region,
            changes={
                "date": [None, date],
                "closed": [None, closed],
                "opens": [None, exc.opens],
                "closes": [None, exc.closes],
            },
        )
        finder.invalidate(live_only=True)
    return exc


def station_delete_exception(*, actor, station: Station, date: dt.date) -> None:
    authorize_keeper(actor, station)
    with transaction.atomic():
        deleted, _rows = HoursException.objects.filter(station=station, date=date).delete()
        if deleted:
            record(
                actor=actor,
                action="station.exception_delete",
                target=station,
                region=station.region,
                changes={"date": [date, None]},
            )
            finder.invalidate(live_only=True)


def _set_amenities(station: Station, codes: Iterable[str], verified_on: dt.date) -> list[str]:
    codes = sorted(set(codes))
    known = {a.code: a for a in Amenity.objects.filter(code__in=codes, is_active=True)}
    for code in codes:
        if code not in known:
            raise DomainError(
                _("Unknown amenity: %(code)s.") % {"code": code}, code="amenity", field="amenities"
            )
    StationAmenity.objects.filter(station=station).exclude(amenity_id__in=codes).delete()
    existing = set(
        StationAmenity.objects.filter(station=station).values_list("amenity_id", flat=True)
    )
    StationAmenity.objects.bulk_create(
        [
            StationAmenity(station=station, amenity=known[c], verified_on=verified_on)
            for c in codes
            if c not in existing
        ]
    )
    bits = 0
    for code in codes:
        bits |= 1 << known[code].bit
    Station.objects.unscoped(reason="denormalised amenity bits").filter(pk=station.pk).update(
        amenity_bits=bits
    )
    station.amenity_bits = bits
    return codes


def station_set_amenities(
    *, actor, station: Station, codes: Iterable[str], verified_on: dt.date | None = None
) -> list[str]:
    """Set what the station offers; amenities named here are marked verified today."""
    authorize_keeper(actor, station)
    verified_on = verified_on or timezone.localdate()
    if verified_on > timezone.localdate():
        raise DomainError(
            _("The verification date cannot be in the future."), code="future", field="verified_on"
        )
    with transaction.atomic():
        station = _locked(station)
        before = sorted(
            StationAmenity.objects.filter(station=station).values_list("amenity_id", flat=True)
        )
        after = _set_amenities(station, codes, verified_on)
        StationAmenity.objects.filter(station=station).update(verified_on=verified_on)
        record(
            actor=actor,
            action="station.amenities",
            target=station,
            region=station.region,
            changes={"amenities": [before, after], "verified_on": [None, verified_on]},
        )
        finder.invalidate()
    return after


def station_photo_add(*, actor, station: Station, upload, caption: str = "") -> StationPhoto:
    from warmbee.core.uploads import image_delete, image_store

    authorize_keeper(actor, station)
    if StationPhoto.objects.filter(station=station).count() >= MAX_PHOTOS:
        raise DomainError(
            _("A station can have at most %(n)d photos.") % {"n": MAX_PHOTOS},
            code="limit",
            field="photo",
        )
    stored = image_store(upload=upload, subdir="stations", field="photo")
    try:
        with transaction.atomic():
            photo = StationPhoto.objects.create(
                station=station,
                image=stored.name,
                width=stored.width,
                height=stored.height,
                caption=(caption or "").strip()[:80],
                uploaded_by=actor,
            )
            record(
                actor=actor,
                action="station.photo_add",
                target=station,
                region=station.region,
                changes={"photo": [None, photo.pk]},
            )
    except Exception:
        image_delete(stored.name)
        raise
    return photo


def station_photo_delete(*, actor, station: Station, photo: StationPhoto) -> None:
    from warmbee.core.uploads import image_delete

    authorize_keeper(actor, station)
    if photo.station_id != station.pk:
        raise NotFound(_("Not found."))
    name = photo.image
    with transaction.atomic():
        photo.delete()
        record(
            actor=actor,
            action="station.photo_delete",
            target=station,
            region=station.region,
            changes={"photo": [photo.pk, None]},
        )
        transaction.on_commit(lambda: image_delete(name))


# --- workers at the station ----------------------------------------------------------------------
CHECKIN_PASS_SALT = "warmbee.stations.checkin-pass"


def _checkin_sql() -> tuple[str, str]:
    """One statement that checks in unless the worker did so within the interval (and the
    station is public), and the read that tells a repeat from a missing station."""
    # Only the models' own table names are formatted in; every value is a parameter.
    checkin, station = CheckIn._meta.db_table, Station._meta.db_table
    insert = (
        f'INSERT INTO "{checkin}" ("station_id", "user_id", "created_at") '  # noqa: S608
        f'SELECT s."id", %s, %s FROM "{station}" s '
        f'WHERE s."code" = %s AND s."is_public" AND s."is_active" AND (%s IS NULL OR s."id" = %s) '
        f'AND NOT EXISTS (SELECT 1 FROM "{checkin}" c WHERE c."user_id" = %s '
        f'AND c."station_id" = s."id" AND c."created_at" > %s) '
        f'RETURNING "id", "station_id"'
    )
    earlier = (
        f'SELECT c."id", c."station_id", c."created_at" FROM "{checkin}" c '  # noqa: S608
        f'JOIN "{station}" s ON s."id" = c."station_id" '
        f'WHERE s."code" = %s AND s."is_public" AND s."is_active" AND c."user_id" = %s '
        f'AND c."created_at" > %s ORDER BY c."created_at" DESC LIMIT 1'
    )
    return insert, earlier


def _checkin_write(*, user_id: int, code: str, station_id: int | None = None) -> CheckIn:
    """The check-in write both paths share: one conditional ``INSERT … SELECT`` in one short
    transaction, so a repeat scan inside the interval inserts nothing and returns the earlier
    row (``_state.adding`` tells which). On SQLite the write queue makes it exact; on
    PostgreSQL two scans in the same millisecond could both count, which only costs a visit."""
    now = timezone.now()
    since = now - dt.timedelta(minutes=settings.STATION_CHECKIN_INTERVAL_MINUTES)
    ops = connection.ops
    at, after = ops.adapt_datetimefield_value(now), ops.adapt_datetimefield_value(since)
    insert, earlier = _checkin_sql()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(insert, [user_id, at, code, station_id, station_id, user_id, after])
        row = cursor.fetchone()
        if row is not None:
            checkin = CheckIn(id=row[0], station_id=row[1], user_id=user_id, created_at=now)
            checkin._state.adding = True  # created by this call
            return checkin
        cursor.execute(earlier, [code, user_id, after])
        row = cursor.fetchone()
    if row is None:
        raise NotFound(_("Not found."))
    found = CheckIn.from_db(connection.alias, ["id", "station_id", "created_at"], row)
    found.user_id = user_id
    at = found.created_at
    if isinstance(at, str):  # SQLite's UTC text
        at = parse_datetime(at)
    found.created_at = at if timezone.is_aware(at) else at.replace(tzinfo=dt.UTC)
    found._state.adding = False
    return found


def checkin_record(*, actor, station: Station) -> tuple[CheckIn, bool]:
    """Check ``actor`` in; a repeat within the interval returns the earlier check-in."""
    if not getattr(actor, "is_authenticated", False):
        raise Forbidden(_("Log in to check in."))
    if not actor.holds(Perm.CHECK_IN):
        raise Forbidden(_("Only registered workers can check in."), code="not_a_worker")
    checkin = _checkin_write(user_id=actor.pk, code=station.code, station_id=station.pk)
    return checkin, checkin._state.adding


def checkin_pass_issue(*, actor, station: Station) -> str:
    """A signed pass for the check-in page's button: this worker, this station, for
    ``STATION_CHECKIN_PASS_MINUTES``. It lets the API check in without loading the session,
    the account and its grants (ADR 0017); it is only given to a worker at a public station."""
    if not getattr(actor, "is_authenticated", False) or not actor.holds(Perm.CHECK_IN):
        raise Forbidden(_("Only registered workers can check in."), code="not_a_worker")
    return signing.dumps([actor.pk, station.pk], salt=CHECKIN_PASS_SALT, compress=False)


def checkin_pass_read(token: str) -> tuple[int, int] | None:
    """``(user id, station id)`` of a valid, unexpired pass; None otherwise."""
    try:
        user_id, station_id = signing.loads(
            token, salt=CHECKIN_PASS_SALT, max_age=settings.STATION_CHECKIN_PASS_MINUTES * 60
        )
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not (isinstance(user_id, int) and isinstance(station_id, int)):
        return None
    return user_id, station_id


def checkin_by_pass(*, user_id: int, station_id: int, code: str) -> CheckIn:
    """Check in the pass's worker at the station it was issued for (``code`` must match)."""
    return _checkin_write(user_id=user_id, code=code, station_id=station_id)


FEEDBACK_LIMIT_PER_HOUR = 10


def feedback_submit(
    *,
    actor,
    station: Station,
    kind: str,
    rating: int | None = None,
    text: str = "",
    amenity: str | None = None,
) -> Feedback:
    if not getattr(actor, "is_authenticated", False):
        raise Forbidden(_("Log in to leave feedback."))
    if not actor.holds(Perm.CHECK_IN):
        raise Forbidden(_("Only registered workers can leave feedback."), code="not_a_worker")
    if not (station.is_active and station.is_public):
        raise NotFound(_("Not found."))
    text = (text or "").strip()
    if kind not in FeedbackKind.values:
        raise DomainError(_("Choose rating or problem."), code="invalid", field="kind")
    if kind == FeedbackKind.RATING and rating is None:
        raise DomainError(_("Choose from 1 to 5 stars."), code="required", field="rating")
    if kind == FeedbackKind.PROBLEM and not text:
        raise DomainError(_("Describe the problem."), code="required", field="text")
    amenity_obj = None
    if amenity:
        amenity_obj = Amenity.objects.filter(code=amenity, is_active=True).first()
        if amenity_obj is None:
            raise DomainError(
                _("Unknown amenity: %(code)s.") % {"code": amenity}, code="amenity", field="amenity"
            )
    feedback = Feedback(
        station=station,
        user=actor,
        kind=kind,
        rating=rating if kind == FeedbackKind.RATING else None,
        amenity=amenity_obj,
        text=text,
        created_at=timezone.now(),
    )
    _clean(feedback, exclude=["user", "handled_by", "station"])
    ratelimit.hit("station_feedback", str(actor.pk), limit=FEEDBACK_LIMIT_PER_HOUR, window=3600)
    with transaction.atomic():
        feedback.save()
        record(
            actor=actor,
            action="station.feedback",
            target=station,
            region=station.region,
            changes={"feedback": [None, feedback.pk], "kind": [None, kind]},
        )
    return feedback


def feedback_handle(*, actor, feedback: Feedback, status: str, response: str = "") -> Feedback:
    station = feedback.station
    authorize_keeper(actor, station)
    if status not in FeedbackStatus.values or status == FeedbackStatus.OPEN:
        raise DomainError(_("Choose a status from the list."), code="invalid", field="status")
    response = (response or "").strip()
    if status == FeedbackStatus.DISMISSED and not response:
        raise DomainError(_("Say why it is dismissed."), code="required", field="response")
    with transaction.atomic():
        locked = (
            Feedback.objects.unscoped(reason="row lock after authorisation")
            .select_for_update()
            .get(pk=feedback.pk)
        )
        before = {"status": locked.status, "response": locked.response}
        locked.status, locked.response = status, response[:300]
        locked.handled_by, locked.handled_at = actor, timezone.now()
        locked.save(update_fields=["status", "response", "handled_by", "handled_at"])
        record(
            actor=actor,
            action="station.feedback_handle",
            target=station,
            region=station.region,
            changes=diff(before, {"status": status, "response": locked.response}),
        )
    return locked
