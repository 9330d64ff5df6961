"""Snap-and-report writes: intake, the state machine, deadlines, and the configuration officers
keep with MANAGE_CIVIC: the routing table, response templates, Open311 API keys and the (global)
report categories (ADR 0013).

Every write is one transaction with its audit row and timeline event; notifications are inbox
rows in the same transaction (SMS after commit). Photos are checked and stored before the
transaction and removed again if it fails, so a refused report leaves nothing behind.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import math
import re
import secrets
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from warmbee.accounts.roles import ROLE_PERMS, Perm
from warmbee.accounts.scoping import authorize, has_perm
from warmbee.audit.services import diff, record
from warmbee.core import deadlines, ratelimit, retention
from warmbee.core.bulk import insert_one
from warmbee.core.errors import Conflict, DomainError, Forbidden, NotFound, RateLimited
from warmbee.core.pi import mask_phone
from warmbee.core.uploads import image_delete, image_store
from warmbee.core.validators import clean_model

from . import routing, selectors
from .models import (
    OPEN_STATUSES,
    ApiClient,
    Category,
    CivicReport,
    PhotoKind,
    ReportEvent,
    ReportPhoto,
    ResponseTemplate,
    RoutingRule,
    Source,
    Status,
)

log = logging.getLogger(__name__)

HANDLER, REPORTER, SYSTEM = "handler", "reporter", "system"

#: from → {to: who may make the change}. Everything else is a 409 (R39).
TRANSITIONS: dict[str, dict[str, frozenset[str]]] = {
    Status.SUBMITTED: {
        Status.ACKNOWLEDGED: frozenset({HANDLER}),
        Status.REJECTED: frozenset({HANDLER}),
        Status.DUPLICATE: frozenset({HANDLER}),
    },
    Status.ACKNOWLEDGED: {
        Status.IN_PROGRESS: frozenset({HANDLER}),
        Status.RESOLVED: frozenset({HANDLER}),
        Status.REJECTED: frozenset({HANDLER}),
        Status.DUPLICATE: frozenset({HANDLER}),
    },
    Status.IN_PROGRESS: {
        Status.RESOLVED: frozenset({HANDLER}),
        Status.DUPLICATE: frozenset({HANDLER}),
    },
    Status.REOPENED: {
        Status.IN_PROGRESS: frozenset({HANDLER}),
        Status.RESOLVED: frozenset({HANDLER}),
    },
    Status.RESOLVED: {
        Status.CONFIRMED: frozenset({REPORTER, SYSTEM}),
        Status.REOPENED: frozenset({REPORTER}),
    },
    Status.CONFIRMED: {},
    Status.DUPLICATE: {},
    Status.REJECTED: {},
}
MAX_PHOTOS = 4
DESCRIPTION_MAX = 1000
COORD_STEP = Decimal("0.000001")
# At most this many candidates in the bounding box are measured (the box is ~100 m across).
NEAR_CANDIDATES = 50
NEAR_STATUSES = (
    Status.SUBMITTED,
    Status.ACKNOWLEDGED,
    Status.IN_PROGRESS,
    Status.REOPENED,
    Status.RESOLVED,
)


# --- small helpers -------------------------------------------------------------------------------
def parse_coordinate(value, *, field: str, low: float, high: float) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        number = None
    if number is None or not number.is_finite() or not low <= number <= high:
        raise DomainError(
            _("Enter a number between %(low)s and %(high)s.") % {"low": low, "high": high},
            code="invalid_coordinate",
            field=field,
        )
    return number.quantize(COORD_STEP, rounding=ROUND_HALF_UP)


def clean_answers(category: Category, answers: dict | None) -> dict:
    """Check the answers to a category's extra questions by their datatype."""
    answers = dict(answers or {})
    clean: dict = {}
    for q in category.questions:
        code = q["code"]
        field = f"attribute[{code}]"
        value = answers.pop(code, None)
        if value in (None, "", []):
            if q.get("required"):
                raise DomainError(_("This field is required."), code="required", field=field)
            continue
        kind = q.get("datatype", "string")
        keys = {v["key"] for v in q.get("values", [])}
        if kind == "number":
            try:
                number = float(value)
            except (TypeError, ValueError):
                number = math.nan
            if not math.isfinite(number):
                raise DomainError(_("Enter a number."), code="invalid", field=field)
            clean[code] = number
        elif kind == "singlevaluelist":
            if str(value) not in keys:
                raise DomainError(_("Choose one of the options."), code="invalid", field=field)
            clean[code] = str(value)
        elif kind == "multivaluelist":
            values = value if isinstance(value, list) else [value]
            if not values or any(str(v) not in keys for v in values):
                raise DomainError(_("Choose from the options."), code="invalid", field=field)
            clean[code] = sorted({str(v) for v in values})
        else:
            text = str(value).strip()
            if len(text) > 500:
                raise DomainError(_("Use at most 500 characters."), code="invalid", field=field)
            clean[code] = text
    return clean


# What a near-duplicate carries: enough to link to it and to show it (code, status, distance).
NEAR_FIELDS = ("id", "code", "status", "lat", "lng", "created_at", "category", "region")


@functools.cache
def _near_statement(vendor: str, exclude: bool) -> tuple[str, list, list]:
    """The near-duplicate candidates' SELECT, built once per engine (the intake's hot read),
    with the column names and each column's converters, which turn a row into a report as the
    ORM's compiler would."""
    from django.db import connection
    from django.db.models.expressions import Col

    meta = CivicReport._meta
    qn = connection.ops.quote_name
    table = meta.db_table
    # In the model's order: ``Model.from_db`` takes a partial row's values in that order.
    fields = [f for f in meta.concrete_fields if f.name in NEAR_FIELDS]
    col = {f.name: qn(f.column) for f in fields + [meta.get_field("duplicate_of")]}
    converters = []
    for f in fields:
        expression = Col(table, f)
        converters.append(
            (
                expression,
                connection.ops.get_db_converters(expression)
                + expression.get_db_converters(connection),
            )
        )
    statuses = ", ".join(["%s"] * len(NEAR_STATUSES))
    # Identifiers come from the model's own metadata, quoted; every value is a parameter.
    sql = (
        f"SELECT {', '.join(col[f.name] for f in fields)} FROM {qn(table)}"  # noqa: S608
        f" WHERE {col['category']} = %s AND {col['lat']} >= %s AND {col['lat']} <= %s"
        f" AND {col['lng']} >= %s AND {col['lng']} <= %s AND {col['created_at']} >= %s"
        f" AND {col['duplicate_of']} IS NULL AND {col['status']} IN ({statuses})"
        + (f" AND {col['id']} <> %s" if exclude else "")
        + f" LIMIT {NEAR_CANDIDATES}"
    )
    return sql, [f.attname for f in fields], converters


def near_duplicates(
    *, category: Category, lat: float, lng: float, now: dt.datetime | None = None, exclude=None
) -> list[CivicReport]:
    """Open reports of the same category within ``CIVIC_DUPLICATE_RADIUS_M`` of the pin and
    ``CIVIC_DUPLICATE_WINDOW_MINUTES`` of now, nearest first; originals only, loaded with
    ``NEAR_FIELDS`` (the others on first use).

    The candidates in the bounding box come from a statement built once, through the
    ``(category, lat)`` index; only the few within the radius become reports."""
    from django.db import connection

    now = now or timezone.now()
    radius = settings.CIVIC_DUPLICATE_RADIUS_M
    lat, lng = float(lat), float(lng)
    dlat = radius / 111_000
    dlng = radius / (111_000 * max(0.1, math.cos(math.radians(lat))))
    since = now - dt.timedelta(minutes=settings.CIVIC_DUPLICATE_WINDOW_MINUTES)
    meta = CivicReport._meta
    lat_field, lng_field = meta.get_field("lat"), meta.get_field("lng")
    params = [
        category.pk,
        *(lat_field.get_db_prep_value(v, connection) for v in (lat - dlat, lat + dlat)),
        *(lng_field.get_db_prep_value(v, connection) for v in (lng - dlng, lng + dlng)),
        meta.get_field("created_at").get_db_prep_value(since, connection),
        *(str(s) for s in NEAR_STATUSES),
    ]
    if exclude is not None:
        params.append(exclude.pk)
    sql, names, converters = _near_statement(connection.vendor, exclude is not None)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    at_lat, at_lng = names.index("lat"), names.index("lng")
    found = []
    for row in rows:
        d = routing.distance_m(lat, lng, float(row[at_lat]), float(row[at_lng]))
        if d > radius:
            continue
        values = []
        for value, (expression, convert) in zip(row, converters, strict=True):
            for converter in convert:
                value = converter(value, expression, connection)
            values.append(value)
        report = CivicReport.from_db(connection.alias, names, values)
        report.distance = d
        found.append(report)
    return sorted(found, key=lambda r: (r.distance, -r.pk))


def _notify(
    user,
    report: CivicReport,
    *,
    kind: str,
    subject,
    body: str = "",
    sms: bool = False,
    staff: bool = False,
):
    """``staff``: the user is known to handle reports (skips the permission look-up)."""
    if user is None:
        return
    from warmbee.notify.services import notify_user

    link = reverse("civic:my_report", args=[report.code])
    if staff or has_perm(user, Perm.VIEW_REPORT):
        link = reverse("civic:console_report", args=[report.code])
    notify_user(
        user=user,
        kind=kind,
        subject=str(subject),
        body=body,
        link=link,
        sms=sms and settings.CIVIC_SMS,
    )


def _reporters(report: CivicReport) -> list:
    """The reporter and every co-reporter (the reporters of its duplicates), signed-in only."""
    users = {}
    if report.reporter_id:
        users[report.reporter_id] = report.reporter
    dupes = (
        CivicReport.objects.unscoped(reason="co-reporters of a report")
        .filter(duplicate_of=report, reporter__isnull=False)
        .select_related("reporter")
    )
    for d in dupes:
        users.setdefault(d.reporter_id, d.reporter)
    return list(users.values())


def _credit(report: CivicReport, rule: str, users, *, now: dt.datetime | None = None) -> None:
    """Points for each signed-in (co-)reporter with a worker profile (ADR 0013), earned at the
    step that earns them (``now``)."""
    from warmbee.points.services import points_earn
    from warmbee.workers.models import Worker

    for user in users:
        worker = (
            Worker.objects.unscoped(reason="the reporter's own worker profile for points")
            .filter(user=user)
            .first()
        )
        if worker is None:
            continue
        points_earn(
            worker=worker,
            rule=rule,
            idempotency_key=f"{rule}:{report.code}:{user.pk}",
            source=f"civic:{report.code}",
            now=now,
        )


def _event(report, *, actor, before: str, note: str = "", at=None) -> None:
    event = ReportEvent(
        report=report,
        at=at or timezone.now(),
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        from_status=before,
        to_status=report.status,
        note=note[:500],
    )
    insert_one(event)


def _store_photos(photos, *, field: str = "photo") -> list:
    stored = []
    try:
        for upload in photos:
            stored.append(image_store(upload=upload, subdir="civic", field=field))
    except BaseException:
        for s in stored:
            image_delete(s.name)
        raise
    return stored


# --- intake --------------------------------------------------------------------------------------
@dataclass
class Intake:
    report: CivicReport
    created: bool
    linked: bool  # added to a near-duplicate instead of opening a case


def _idempotency_key(actor, client, key: str) -> str:
    key = (key or "").strip()
    if not key or len(key) > 64:
        raise DomainError(
            _("Every report needs an idempotency key of at most 64 characters."),
            code="idempotency_key",
            field="idempotency_key",
        )
    if client is not None:
        owner = f"k{client.pk}"
    elif getattr(actor, "is_authenticated", False):
        owner = f"u{actor.pk}"
    else:
        owner = "anon"
    return f"{owner}:{key}"


def _rate_limit(actor, client, ip: str) -> None:
    if client is not None:
        ratelimit.hit("civic-key", str(client.pk), **settings.CIVIC_RATE_API)
    elif getattr(actor, "is_authenticated", False):
        ratelimit.hit("civic-user", str(actor.pk), **settings.CIVIC_RATE_USER)
    else:
        ratelimit.hit("civic-anon", ip or "-", **settings.CIVIC_RATE_ANON)
        ratelimit.hit("civic-anon-day", ip or "-", **settings.CIVIC_RATE_ANON_DAY)


def report_submit(
    *,
    actor,
    category: Category | str,
    lat,
    lng,
    idempotency_key: str,
    description: str = "",
    address: str = "",
    answers: dict | None = None,
    photos=(),
    ip: str = "",
    client: ApiClient | None = None,
    now: dt.datetime | None = None,
) -> Intake:
    """File a report. A retry with the same idempotency key returns the first report (R38); a
    near-duplicate (same category, ``CIVIC_DUPLICATE_RADIUS_M``, ``CIVIC_DUPLICATE_WINDOW_MINUTES``)
    is linked to the original as a duplicate rather than opening a second case (R35)."""
    key = _idempotency_key(actor, client, idempotency_key)
    if isinstance(category, str):
        category = routing.config().category(category)
        if category is None:
            raise DomainError(
                _("There is no such report category."), code="unknown_service", field="category"
            )
    elif not category.is_active:
        raise DomainError(
            _("There is no such report category."), code="unknown_service", field="category"
        )
    lat = parse_coordinate(lat, field="lat", low=-90, high=90)
    lng = parse_coordinate(lng, field="lng", low=-180, high=180)
    description = (description or "").strip()
    if len(description) > DESCRIPTION_MAX:
        raise DomainError(
            _("Use at most %(n)s characters.") % {"n": DESCRIPTION_MAX},
            code="too_long",
            field="description",
        )
    photos = list(photos or ())
    if len(photos) > MAX_PHOTOS:
        raise DomainError(
            _("At most %(n)s photos.") % {"n": MAX_PHOTOS}, code="too_many_photos", field="photo"
        )
    clean = clean_answers(category, answers)
    where = routing.route(category, float(lat), float(lng))
    now = now or timezone.now()
    reporter = actor if getattr(actor, "is_authenticated", False) else None
    handlers = routing.config().handlers(where.region)
    # Everything that only reads is done before the write transaction, so the write lock (the
    # embedded tier's one writer at a time) is held only for the writes (ADR 0018). Two reports of
    # the same spot filed within the same few milliseconds may both open cases; staff can still
    # mark one a duplicate, as they can for any report the radius or the window misses.
    near = near_duplicates(category=category, lat=lat, lng=lng, now=now)
    original = near[0] if near else None
    report = CivicReport(
        category=category,
        reporter=reporter,
        lat=lat,
        lng=lng,
        address=(address or "").strip()[:200],
        description=description,
        answers=clean,
        area_id=where.area.pk,
        region=where.region,
        routed_body=where.body,
        routed_contacts=where.contacts,
        source=Source.OPEN311 if client is not None else Source.WEB,
        client=client,
        idempotency_key=key,
        created_at=now,
        updated_at=now,
        ack_due_at=deadlines.due_after(now, hours=category.ack_hours),
        resolve_due_at=deadlines.due_after(now, hours=category.resolve_hours),
    )
    if original is not None:
        report.status = Status.DUPLICATE
        report.duplicate_of = original
        report.region_id = original.region_id
        report.closed_at = now
        report.status_notes = str(
            _("Already reported; added to report %(code)s.") % {"code": original.code}
        )
    # The related rows were just read (a foreign key's own check would query each again).
    clean_model(
        report, exclude=["region", "category", "area", "reporter", "client", "duplicate_of"]
    )
    stored = _store_photos(photos)
    try:
        # A retry with the same key fails the unique constraint below and answers the first
        # report; the rate limit counts in this transaction, so a refused or failed intake
        # leaves no count and a good one costs one commit (ADR 0018).
        with transaction.atomic():
            try:
                _rate_limit(actor, client, ip)
            except RateLimited:
                first = _first_with_key(key)
                if first is None:
                    raise
                return Intake(first, False, first.status == Status.DUPLICATE)
            insert_one(report)
            if stored:
                ReportPhoto.objects.bulk_create(
                    [
                        ReportPhoto(
                            report=report,
                            image=s.name,
                            width=s.width,
                            height=s.height,
                            uploaded_by=reporter,
                        )
                        for s in stored
                    ]
                )
            _event(report, actor=actor, before="", note=report.status_notes, at=now)
            record(
                actor=reporter,
                action="civic.report_submit",
                target=report,
                region=report.region,
                changes={
                    "category": [None, category.code],
                    "status": [None, report.status],
                    "duplicate_of": [None, original.code if original else None],
                },
            )
            if original is None:
                for user in handlers:
                    _notify(
                        user,
                        report,
                        kind="civic.new",
                        subject=_("New report: %(category)s") % {"category": category.name},
                        body=description[:200],
                        sms=True,
                        staff=True,
                    )
                if reporter is not None:
                    _notify(
                        reporter,
                        report,
                        kind="civic.status",
                        subject=_("Your report was sent to %(body)s") % {"body": where.body},
                    )
            else:
                if reporter is not None:
                    _notify(
                        reporter,
                        report,
                        kind="civic.status",
                        subject=_("Already reported nearby; you are credited as a co-reporter"),
                    )
                    if original.status in (
                        Status.ACKNOWLEDGED,
                        Status.IN_PROGRESS,
                        Status.RESOLVED,
                        Status.REOPENED,
                    ):
                        _credit(original, "civic.report_accepted", [reporter], now=now)
    except IntegrityError:
        for s in stored:
            image_delete(s.name)
        first = _first_with_key(key)
        if first is None:
            raise
        return Intake(first, False, first.status == Status.DUPLICATE)
    except BaseException:
        for s in stored:
            image_delete(s.name)
        raise
    return Intake(report, True, original is not None)


def _first_with_key(key: str) -> CivicReport | None:
    return (
        CivicReport.objects.unscoped(reason="idempotent retry").filter(idempotency_key=key).first()
    )


# --- the state machine ---------------------------------------------------------------------------
def _role_in(actor, report: CivicReport) -> set[str]:
    roles = set()
    if actor is None:
        roles.add(SYSTEM)
        return roles
    if report.reporter_id and getattr(actor, "pk", None) == report.reporter_id:
        roles.add(REPORTER)
    if has_perm(actor, Perm.HANDLE_REPORT, report.region):
        roles.add(HANDLER)
    return roles


def _locked(report: CivicReport) -> CivicReport:
    return (
        CivicReport.objects.unscoped(reason="row lock for a state change")
        .select_for_update(of=("self",))
        .select_related("category", "region", "reporter")
        .get(pk=report.pk)
    )


def transition_allowed(report: CivicReport, to: str) -> bool:
    return to in TRANSITIONS.get(report.status, {})


def report_transition(
    *,
    actor,
    report: CivicReport,
    to: str,
    note: str = "",
    duplicate_of: CivicReport | None = None,
    fix_photo=None,
    now: dt.datetime | None = None,
) -> CivicReport:
    """Move a report to ``to``. Who may: see ``TRANSITIONS``. Outside the actor's reach → 404;
    not allowed from the current state → 409 (``Conflict``); the wrong party → 403."""
    now = now or timezone.now()
    if actor is not None:
        visible = (report.reporter_id and actor.pk == report.reporter_id) or has_perm(
            actor, Perm.VIEW_REPORT, report.region
        )
        if not visible:
            raise NotFound(_("Not found."))
    stored = _store_photos([fix_photo], field="fix_photo") if fix_photo else []
    try:
        with transaction.atomic():
            report = _locked(report)
            before = report.status
            if to not in Status.values or to not in TRANSITIONS[before]:
                raise Conflict(
                    _("A report that is “%(from)s” cannot become “%(to)s”.")
                    % {
                        "from": Status(before).label,
                        "to": Status(to).label if to in Status.values else to,
                    },
                    code="transition_not_allowed",
                    field="status",
                )
            if not (TRANSITIONS[before][to] & _role_in(actor, report)):
                raise Forbidden(_("You may not make this change to this report."))
            note = (note or "").strip()
            if to == Status.REJECTED and not note:
                raise DomainError(
                    _("Say why the report is rejected."), code="reason_required", field="note"
                )
            if to == Status.REOPENED and not note:
                raise DomainError(
                    _("Say what is still wrong."), code="reason_required", field="note"
                )
            if to == Status.DUPLICATE:
                _check_original(report, duplicate_of)
                report.duplicate_of = duplicate_of
                note = note or str(
                    _("Same problem as report %(code)s.") % {"code": duplicate_of.code}
                )
            report.status = to
            report.updated_at = now
            fields = ["status", "updated_at", "status_notes"]
            if (
                to == Status.ACKNOWLEDGED
                or to == Status.IN_PROGRESS
                and report.acknowledged_at is None
            ):
                report.acknowledged_at = now
                fields.append("acknowledged_at")
            if to == Status.RESOLVED:
                report.resolved_at = now
                fields.append("resolved_at")
            if to == Status.REOPENED:
                report.resolved_at = None
                report.resolve_escalated_at = None
                report.resolve_due_at = deadlines.due_after(
                    now, hours=report.category.resolve_hours
                )
                fields += ["resolved_at", "resolve_escalated_at", "resolve_due_at"]
            if to in (Status.CONFIRMED, Status.REJECTED, Status.DUPLICATE):
                report.closed_at = now
                fields.append("closed_at")
            if to == Status.DUPLICATE:
                fields.append("duplicate_of")
            if to == Status.CONFIRMED and actor is None and not note:
                note = str(
                    _("Closed: not reopened within %(n)s days of the fix.")
                    % {"n": settings.CIVIC_CONFIRM_DAYS}
                )
            report.status_notes = note[:500]
            report.save(update_fields=fields)
            for s in stored:
                ReportPhoto.objects.create(
                    report=report,
                    kind=PhotoKind.FIX,
                    image=s.name,
                    width=s.width,
                    height=s.height,
                    uploaded_by=actor,
                )
            _event(report, actor=actor, before=before, note=note, at=now)
            record(
                actor=actor,
                action=f"civic.report_{to}",
                target=report,
                region=report.region,
                changes={"status": [before, to]},
                reason=note[:200],
            )
            _after(report, before=before, actor=actor, note=note, now=now)
    except BaseException:
        for s in stored:
            image_delete(s.name)
        raise
    return report


def _check_original(report: CivicReport, original: CivicReport | None) -> None:
    if (
        original is None
        or original.pk == report.pk
        or original.duplicate_of_id is not None
        or original.category_id != report.category_id
        or original.status in (Status.REJECTED, Status.DUPLICATE)
    ):
        raise DomainError(
            _("Choose an open report of the same category as the original."),
            code="bad_original",
            field="duplicate_of",
        )


def _after(report: CivicReport, *, before: str, actor, note: str, now: dt.datetime) -> None:
    """Notifications and points for a state change (inside the transaction)."""
    to = report.status
    subject = _("Your report %(code)s: %(status)s") % {
        "code": report.code,
        "status": Status(to).label,
    }
    people = _reporters(report)
    if to == Status.RESOLVED:
        subject = _("Your report %(code)s is marked fixed. Is it really fixed?") % {
            "code": report.code
        }
    for user in people:
        if user != actor:
            _notify(user, report, kind="civic.status", subject=subject, body=note, sms=True)
    if to == Status.ACKNOWLEDGED or (to == Status.IN_PROGRESS and before == Status.SUBMITTED):
        _credit(report, "civic.report_accepted", people, now=now)
    if to == Status.CONFIRMED:
        _credit(report, "civic.report_accepted", people, now=now)
        _credit(report, "civic.report_confirmed", people, now=now)
    if to == Status.DUPLICATE and report.duplicate_of_id:
        original = report.duplicate_of
        if original.status not in (Status.SUBMITTED, Status.REJECTED) and report.reporter_id:
            _credit(original, "civic.report_accepted", [report.reporter], now=now)
    if to == Status.REOPENED:
        for user in routing.config().handlers(report.region):
            _notify(
                user,
                report,
                kind="civic.reopened",
                subject=_("Report %(code)s reopened by the reporter") % {"code": report.code},
                body=note,
            )


# --- deadlines (core.deadlines sources, registered in apps.ready) ------------------------------
def _unscoped(reason: str):
    return CivicReport.objects.unscoped(reason=reason).select_related("region", "category")


def overdue_acknowledge(now):
    return list(
        _unscoped("deadline scan").filter(
            status=Status.SUBMITTED, ack_due_at__lt=now, ack_escalated_at__isnull=True
        )[:500]
    )


def overdue_resolve(now):
    return list(
        _unscoped("deadline scan").filter(
            status__in=[Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.REOPENED],
            resolve_due_at__lt=now,
            resolve_escalated_at__isnull=True,
        )[:500]
    )


def _escalate(report: CivicReport, now, field: str, subject) -> bool:
    report = _locked(report)
    if getattr(report, field) is not None:
        return False
    setattr(report, field, now)
    report.save(update_fields=[field])
    district = routing.district_of(report.region)
    targets = {u.pk: u for u in routing.config().handlers(district)}
    if district.pk == report.region_id:  # already at district level: the city above it
        parent = report.region.parent
        if parent is not None:
            targets |= {u.pk: u for u in _officers_at(parent)}
    for user in targets.values():
        _notify(user, report, kind="civic.overdue", subject=subject, sms=True)
    record(
        actor=None,
        action="civic.report_escalated",
        target=report,
        region=report.region,
        changes={field: [None, now.isoformat()]},
    )
    return True


def _officers_at(region):
    from warmbee.accounts.models import RoleAssignment

    roles = [role for role, perms in ROLE_PERMS.items() if Perm.VIEW_REPORT in perms]
    grants = RoleAssignment.objects.unscoped(reason="who oversees a region").filter(
        role__in=roles, region=region, user__is_active=True
    )
    return [g.user for g in grants.select_related("user")]


def escalate_acknowledge(report, now):
    return _escalate(
        report,
        now,
        "ack_escalated_at",
        _("Overdue: report %(code)s not acknowledged in time") % {"code": report.code},
    )


def escalate_resolve(report, now):
    return _escalate(
        report,
        now,
        "resolve_escalated_at",
        _("Overdue: report %(code)s not resolved in time") % {"code": report.code},
    )


def unconfirmed(now):
    cutoff = now - dt.timedelta(days=settings.CIVIC_CONFIRM_DAYS)
    return list(
        _unscoped("auto-confirm").filter(status=Status.RESOLVED, resolved_at__lt=cutoff)[:500]
    )


def auto_confirm(report, now):
    report_transition(actor=None, report=report, to=Status.CONFIRMED, now=now)


# --- retention (R28) ---------------------------------------------------------------------------
FINAL_STATUSES = (Status.CONFIRMED, Status.REJECTED, Status.DUPLICATE)


def photos_expired(now: dt.datetime) -> list[CivicReport]:
    """Closed reports whose photos are past ``RETENTION_REPORT_PHOTO_DAYS`` after closing."""
    cutoff = now - dt.timedelta(days=settings.RETENTION_REPORT_PHOTO_DAYS)
    return list(
        _unscoped("retention scan")
        .filter(status__in=FINAL_STATUSES, closed_at__lt=cutoff, photos__isnull=False)
        .distinct()
        .order_by("closed_at")[:500]
    )


def photos_purge(report: CivicReport, now: dt.datetime) -> bool:
    """Delete a closed report's photos (the report, its timeline and its figures stay); the
    files go after the commit."""
    report = _locked(report)
    cutoff = now - dt.timedelta(days=settings.RETENTION_REPORT_PHOTO_DAYS)
    if report.status not in FINAL_STATUSES or not report.closed_at or report.closed_at >= cutoff:
        return False
    photos = list(report.photos.all())
    if not photos:
        return False
    ReportPhoto.objects.filter(pk__in=[p.pk for p in photos]).delete()
    for name in [p.image for p in photos]:
        transaction.on_commit(lambda name=name: image_delete(name))
    record(
        actor=None,
        action="civic.photos_purged",
        target=report,
        region=report.region,
        changes={"photos": [len(photos), 0]},
        reason="retention (R28)",
    )
    return True


def register_deadlines() -> None:
    deadlines.register(
        "civic.acknowledge", overdue=overdue_acknowledge, escalate=escalate_acknowledge
    )
    deadlines.register("civic.resolve", overdue=overdue_resolve, escalate=escalate_resolve)
    deadlines.register("civic.auto_confirm", overdue=unconfirmed, escalate=auto_confirm)
    retention.register("civic.report_photos", expired=photos_expired, purge=photos_purge)


# --- configuration: the routing table and response templates (MANAGE_CIVIC) -------------------
RULE_FIELDS = ("district", "category", "area", "handler_region", "body", "contacts")
TEMPLATE_FIELDS = ("region", "category", "status", "title", "body")
#: The changes staff make on a report (the console's actions): what a template can be for.
RESPONSE_STATUSES = (
    Status.ACKNOWLEDGED,
    Status.IN_PROGRESS,
    Status.RESOLVED,
    Status.REJECTED,
    Status.DUPLICATE,
)
_MOBILE = re.compile(r"1[3-9]\d{9}")


def _masked_contacts(text: str) -> str:
    """Contacts are free text and may hold a person's mobile: masked in the audit trail (R22)."""
    return _MOBILE.sub(lambda m: mask_phone(m.group()), text or "")


def _authorize_in(actor, region, *, field: str) -> None:
    """MANAGE_CIVIC over ``region``; a region outside scope is an error on the form's ``field``."""
    try:
        authorize(actor, Perm.MANAGE_CIVIC, region=region)
    except DomainError as exc:
        if exc.code != "region_out_of_scope":
            raise
        raise DomainError(exc.message, code=exc.code, field=field) from None


def _code(obj, attr: str = "code"):
    return getattr(obj, attr) if obj is not None else None


def _rule_values(rule: RoutingRule) -> dict:
    return {
        "district": rule.district_id,
        "category": _code(rule.category),
        "area": _code(rule.area),
        "handler_region": rule.handler_region_id,
        "body": rule.body,
        "contacts": rule.contacts,
    }


def _audit_rule_changes(changes: dict) -> dict:
    if "contacts" in changes:
        changes = {**changes, "contacts": [v and _masked_contacts(v) for v in changes["contacts"]]}
    return changes


def _category_label(category: Category | None) -> str:
    return category.label if category is not None else str(_("every category"))


def _duplicate_rule(rule: RoutingRule) -> DomainError:
    category = _category_label(rule.category)
    if rule.area_id:
        return DomainError(
            _("Grid area %(area)s already has a rule for %(category)s; edit that rule instead.")
            % {"area": rule.area.code, "category": category},
            code="duplicate_rule",
            field="area",
        )
    return DomainError(
        _("%(district)s already has a district-wide rule for %(category)s; edit that rule instead.")
        % {"district": rule.district.name, "category": category},
        code="duplicate_rule",
        field="category",
    )


def _check_rule(rule: RoutingRule) -> None:
    """The table's rules: a district, an area and a handling region inside it, a body, and one
    rule per category × area (or district-wide), whether in use or not."""
    from warmbee.regions.models import Level

    district = rule.district
    if district.level != Level.COUNTY:
        raise DomainError(
            _("Choose a district (a county-level region)."), code="not_a_district", field="district"
        )
    if rule.area_id and not rule.area.region.path.startswith(district.path):
        raise DomainError(
            _("Grid area %(area)s is not in %(district)s.")
            % {"area": rule.area.code, "district": district.name},
            code="area_outside_district",
            field="area",
        )
    if rule.handler_region_id and not rule.handler_region.path.startswith(district.path):
        raise DomainError(
            _("The handling region must be %(district)s or a region within it.")
            % {"district": district.name},
            code="handler_outside_district",
            field="handler_region",
        )
    rule.body = (rule.body or "").strip()
    rule.contacts = (rule.contacts or "").strip()
    if not rule.body:
        raise DomainError(_("Name the responsible body."), code="required", field="body")
    clean_model(rule, exclude=["district", "category", "area", "handler_region"])
    clash = RoutingRule.objects.unscoped(reason="one rule per category and area").filter(
        district_id=rule.district_id, category_id=rule.category_id, area_id=rule.area_id
    )
    if rule.pk is not None:
        clash = clash.exclude(pk=rule.pk)
    if clash.exists():
        raise _duplicate_rule(rule)


def routing_rule_create(
    *,
    actor,
    district,
    body: str,
    category: Category | None = None,
    area=None,
    handler_region=None,
    contacts: str = "",
) -> RoutingRule:
    """A new row of a district's routing table (ADR 0013): category (or every category) × grid
    area (or district-wide) → responsible body, contacts and handling region."""
    _authorize_in(actor, district, field="district")
    rule = RoutingRule(
        district=district,
        category=category,
        area=area,
        handler_region=handler_region,
        body=body,
        contacts=contacts,
    )
    try:
        with transaction.atomic():
            _check_rule(rule)
            rule.save(force_insert=True)
            record(
                actor=actor,
                action="civic.routing_rule_create",
                target=rule,
                region=district,
                changes=_audit_rule_changes(diff({}, _rule_values(rule) | {"is_active": True})),
            )
    except IntegrityError:  # a concurrent twin got there first (civic_rule_unique)
        raise _duplicate_rule(rule) from None
    return rule


def _locked_rule(rule: RoutingRule) -> RoutingRule:
    return (
        RoutingRule.objects.unscoped(reason="row lock after authorisation")
        .select_for_update(of=("self",))
        .select_related("district", "category", "area", "area__region", "handler_region")
        .get(pk=rule.pk)
    )


def routing_rule_update(*, actor, rule: RoutingRule, **changes) -> RoutingRule:
    """Change a rule; moving it to another district needs MANAGE_CIVIC over both."""
    authorize(actor, Perm.MANAGE_CIVIC, obj=rule)
    unknown = set(changes) - set(RULE_FIELDS)
    if unknown:
        raise DomainError(_("These fields cannot be changed here."), field=sorted(unknown)[0])
    if "district" in changes and changes["district"].pk != rule.district_id:
        _authorize_in(actor, changes["district"], field="district")
    try:
        with transaction.atomic():
            rule = _locked_rule(rule)
            before = _rule_values(rule)
            for name, value in changes.items():
                setattr(rule, name, value)
            _check_rule(rule)
            changed = diff(before, _rule_values(rule))
            if not changed:
                return rule
            rule.save(update_fields=list(RULE_FIELDS))
            record(
                actor=actor,
                action="civic.routing_rule_update",
                target=rule,
                region=rule.district,
                changes=_audit_rule_changes(changed),
            )
    except IntegrityError:
        raise _duplicate_rule(rule) from None
    return rule


def _set_active(
    obj, active: bool, *, actor, lock, region, actions: tuple[str, str], already: tuple
):
    """Put a configuration row (a rule, a template, a category) in or out of use, audited; the
    row stays. ``actions`` and ``already`` are (in use, out of use): the audit action and the
    refusal when it is already so."""
    with transaction.atomic():
        obj = lock(obj)
        if obj.is_active == active:
            raise DomainError(already[0] if active else already[1], code="unchanged")
        obj.is_active = active
        obj.save(update_fields=["is_active"])
        record(
            actor=actor,
            action=actions[0] if active else actions[1],
            target=obj,
            region=region(obj),
            changes={"is_active": [not active, active]},
        )
    return obj


def routing_rule_set_active(*, actor, rule: RoutingRule, active: bool) -> RoutingRule:
    """Take a rule out of use (routing skips it; the row stays for the record) or back in."""
    authorize(actor, Perm.MANAGE_CIVIC, obj=rule)
    return _set_active(
        rule,
        active,
        actor=actor,
        lock=_locked_rule,
        region=lambda r: r.district,
        actions=("civic.routing_rule_reactivate", "civic.routing_rule_deactivate"),
        already=(_("This rule is already in use."), _("This rule is already out of use.")),
    )


def _template_values(template: ResponseTemplate) -> dict:
    return {
        "region": template.region_id,
        "category": _code(template.category),
        "status": template.status,
        "title": template.title,
        "body": template.body,
    }


def _check_template(template: ResponseTemplate) -> None:
    if template.status not in RESPONSE_STATUSES:
        raise DomainError(
            _(
                "Choose the change the response is for: acknowledged, in progress, resolved, "
                "rejected or duplicate."
            ),
            code="invalid_status",
            field="status",
        )
    template.title = (template.title or "").strip()
    template.body = (template.body or "").strip()
    if not template.title:
        raise DomainError(_("Give the template a title."), code="required", field="title")
    if not template.body:
        raise DomainError(_("Write the response text."), code="required", field="body")
    clean_model(template, exclude=["region", "category"])
    clash = ResponseTemplate.objects.unscoped(reason="one title per region and status").filter(
        region_id=template.region_id, status=template.status, title=template.title
    )
    if template.pk is not None:
        clash = clash.exclude(pk=template.pk)
    if clash.exists():
        raise DomainError(
            _("%(region)s already has a template “%(title)s” for this status.")
            % {"region": template.region.name, "title": template.title},
            code="duplicate_template",
            field="title",
        )


def response_template_create(
    *, actor, region, status: str, title: str, body: str, category: Category | None = None
) -> ResponseTemplate:
    """A canned response for the reports of ``region`` and below (one category or every one)."""
    _authorize_in(actor, region, field="region")
    template = ResponseTemplate(
        region=region, category=category, status=status, title=title, body=body
    )
    with transaction.atomic():
        _check_template(template)
        template.save(force_insert=True)
        record(
            actor=actor,
            action="civic.template_create",
            target=template,
            region=region,
            changes=diff({}, _template_values(template) | {"is_active": True}),
        )
    return template


def _locked_template(template: ResponseTemplate) -> ResponseTemplate:
    return (
        ResponseTemplate.objects.unscoped(reason="row lock after authorisation")
        .select_for_update(of=("self",))
        .select_related("region", "category")
        .get(pk=template.pk)
    )


def response_template_update(*, actor, template: ResponseTemplate, **changes) -> ResponseTemplate:
    """Change a template; moving it to another region needs MANAGE_CIVIC over both."""
    authorize(actor, Perm.MANAGE_CIVIC, obj=template)
    unknown = set(changes) - set(TEMPLATE_FIELDS)
    if unknown:
        raise DomainError(_("These fields cannot be changed here."), field=sorted(unknown)[0])
    if "region" in changes and changes["region"].pk != template.region_id:
        _authorize_in(actor, changes["region"], field="region")
    with transaction.atomic():
        template = _locked_template(template)
        before = _template_values(template)
        for name, value in changes.items():
            setattr(template, name, value)
        _check_template(template)
        changed = diff(before, _template_values(template))
        if not changed:
            return template
        template.save(update_fields=list(TEMPLATE_FIELDS))
        record(
            actor=actor,
            action="civic.template_update",
            target=template,
            region=template.region,
            changes=changed,
        )
    return template


def response_template_set_active(
    *, actor, template: ResponseTemplate, active: bool
) -> ResponseTemplate:
    """Retire a template (staff no longer see it; the row stays) or put it back in use."""
    authorize(actor, Perm.MANAGE_CIVIC, obj=template)
    return _set_active(
        template,
        active,
        actor=actor,
        lock=_locked_template,
        region=lambda t: t.region,
        actions=("civic.template_reinstate", "civic.template_retire"),
        already=(_("This template is already in use."), _("This template is already retired.")),
    )


# --- report categories (global: MANAGE_CIVIC over the deployment's region) ---------------------
CATEGORY_FIELDS = (
    "code",
    "name",
    "name_en",
    "description",
    "icon",
    "group",
    "questions",
    "ack_hours",
    "resolve_hours",
    "sort",
)
#: The Open311 attribute datatypes a question may have; the list ones carry choices.
QUESTION_DATATYPES = ("string", "number", "text", "singlevaluelist", "multivaluelist", "datetime")
LIST_DATATYPES = frozenset({"singlevaluelist", "multivaluelist"})
QUESTION_CODE_MAX = 40
QUESTION_TEXT_MAX = 200
CHOICE_KEY_MAX = 40
CHOICE_NAME_MAX = 60
_SLUG = re.compile(r"^[-a-zA-Z0-9_]+\Z")


def _authorize_categories(actor):
    """Categories are global: only holders of MANAGE_CIVIC over the deployment's region
    (``settings.HOME_REGION``, or above it) change them. Anyone else: 403, nothing written."""
    if not selectors.may_manage_categories(actor):
        raise Forbidden(_("You do not have permission to do this."))
    return selectors.categories_region()


def _question_error(number: int, name: str, message, code: str = "invalid_question"):
    """An error on one field of one question row (the form's ``questions-<row>-<field>``)."""
    return DomainError(
        _("Question %(n)s: %(problem)s") % {"n": number, "problem": message},
        code=code,
        field=f"questions-{number - 1}-{name}",
    )


def clean_questions(questions, *, numbers: list[int] | None = None) -> list[dict]:
    """A category's extra questions in the exact shape Open311 publishes and intake checks:
    ``[{"code", "datatype", "description", "required", "values": [{"key", "name"}], "order"}]``,
    sorted by ``order``. ``numbers`` are the rows' numbers on the form (1, 2, … by default), for
    the error, which names the row and the field."""
    if not isinstance(questions, list):
        raise DomainError(_("The questions must be a list."), code="invalid", field="questions")
    numbers = numbers or list(range(1, len(questions) + 1))
    seen: dict[str, int] = {}
    clean: list[tuple[int, int, dict]] = []
    for position, (number, q) in enumerate(zip(numbers, questions, strict=True)):
        q = q if isinstance(q, dict) else {}
        code = str(q.get("code") or "").strip()
        if not code:
            raise _question_error(number, "code", _("give the question a code."), "required")
        if not _SLUG.match(code) or len(code) > QUESTION_CODE_MAX:
            raise _question_error(
                number,
                "code",
                _(
                    "the code may only hold letters, digits, hyphens and underscores, "
                    "at most %(max)s of them."
                )
                % {"max": QUESTION_CODE_MAX},
            )
        if code in seen:
            raise _question_error(
                number,
                "code",
                _("the code “%(code)s” is already used by question %(other)s.")
                % {"code": code, "other": seen[code]},
                "duplicate_question",
            )
        seen[code] = number
        datatype = str(q.get("datatype") or "")
        if datatype not in QUESTION_DATATYPES:
            raise _question_error(number, "datatype", _("choose the kind of answer."))
        description = str(q.get("description") or "").strip()
        if not description:
            raise _question_error(
                number, "description", _("write the question people will see."), "required"
            )
        if len(description) > QUESTION_TEXT_MAX:
            raise _question_error(
                number,
                "description",
                _("use at most %(max)s characters.") % {"max": QUESTION_TEXT_MAX},
            )
        values = q.get("values") or []
        if not isinstance(values, list):
            raise _question_error(number, "values", _("the choices must be a list."))
        if datatype in LIST_DATATYPES and not values:
            raise _question_error(
                number, "values", _("a list question needs at least one choice."), "no_choices"
            )
        if datatype not in LIST_DATATYPES and values:
            raise _question_error(
                number,
                "values",
                _("only a list question has choices: remove them or choose a list."),
                "unexpected_choices",
            )
        choices, keys = [], set()
        for value in values:
            value = value if isinstance(value, dict) else {}
            key = str(value.get("key") or "").strip()
            name = str(value.get("name") or "").strip()
            if not key or not name:
                raise _question_error(number, "values", _("each choice needs a key and a name."))
            if len(key) > CHOICE_KEY_MAX or len(name) > CHOICE_NAME_MAX:
                raise _question_error(
                    number,
                    "values",
                    _("a choice's key has at most %(key)s characters, its name %(name)s.")
                    % {"key": CHOICE_KEY_MAX, "name": CHOICE_NAME_MAX},
                )
            if key in keys:
                raise _question_error(
                    number,
                    "values",
                    _("the choice key “%(key)s” is used twice.") % {"key": key},
                    "duplicate_choice",
                )
            keys.add(key)
            choices.append({"key": key, "name": name})
        order = q.get("order")
        if order in (None, ""):
            order = number
        try:
            order = int(order)
        except (TypeError, ValueError):
            order = -1
        if order < 0:
            raise _question_error(number, "order", _("the order is a whole number, 0 or more."))
        clean.append(
            (
                order,
                position,
                {
                    "code": code,
                    "datatype": datatype,
                    "description": description,
                    "required": bool(q.get("required")),
                    "values": choices,
                    "order": order,
                },
            )
        )
    return [q for _order, _position, q in sorted(clean, key=lambda row: row[:2])]


def _category_values(category: Category) -> dict:
    return {name: getattr(category, name) for name in CATEGORY_FIELDS}


def _check_category(category: Category) -> None:
    for name in ("code", "name", "name_en", "description", "icon", "group"):
        setattr(category, name, (getattr(category, name) or "").strip())
    if not category.code:
        raise DomainError(_("Give the category a code."), code="required", field="code")
    if not category.name:
        raise DomainError(_("Name the category in Chinese."), code="required", field="name")
    if not category.name_en:
        raise DomainError(_("Name the category in English."), code="required", field="name_en")
    category.questions = clean_questions(category.questions)
    clean_model(category)
    if category.resolve_hours < category.ack_hours:
        raise DomainError(
            _("The resolve deadline cannot be shorter than the acknowledge deadline."),
            code="resolve_before_ack",
            field="resolve_hours",
        )
    clash = Category.objects.filter(code=category.code)
    if category.pk is not None:
        clash = clash.exclude(pk=category.pk)
    if clash.exists():
        raise _duplicate_category(category)


def _duplicate_category(category: Category) -> DomainError:
    return DomainError(
        _("Another category already has the code “%(code)s”.") % {"code": category.code},
        code="duplicate_category",
        field="code",
    )


def category_create(
    *,
    actor,
    code: str,
    name: str,
    name_en: str,
    ack_hours: int,
    resolve_hours: int,
    description: str = "",
    icon: str = "",
    group: str = "",
    questions: list | None = None,
    sort: int = 100,
) -> Category:
    """A new report category, in use at once: offered on the report form and published as an
    Open311 service (ADR 0013)."""
    region = _authorize_categories(actor)
    category = Category(
        code=code,
        name=name,
        name_en=name_en,
        description=description,
        icon=icon,
        group=group,
        questions=questions or [],
        ack_hours=ack_hours,
        resolve_hours=resolve_hours,
        sort=sort,
    )
    try:
        with transaction.atomic():
            _check_category(category)
            category.save(force_insert=True)  # the routing snapshot follows (routing signals)
            record(
                actor=actor,
                action="civic.category_create",
                target=category,
                region=region,
                changes=diff({}, _category_values(category) | {"is_active": True}),
            )
    except IntegrityError:  # a concurrent twin took the code first
        raise _duplicate_category(category) from None
    return category


def _locked_category(category: Category) -> Category:
    return Category.objects.select_for_update().get(pk=category.pk)


def category_update(*, actor, category: Category, **changes) -> Category:
    """Change a category. Its code is its Open311 ``service_code``: once a report uses it, it
    stays (integrations and the reports' history refer to it)."""
    region = _authorize_categories(actor)
    unknown = set(changes) - set(CATEGORY_FIELDS)
    if unknown:
        raise DomainError(_("These fields cannot be changed here."), field=sorted(unknown)[0])
    try:
        with transaction.atomic():
            category = _locked_category(category)
            before = _category_values(category)
            for name, value in changes.items():
                setattr(category, name, value)
            _check_category(category)
            if (
                category.code != before["code"]
                and CivicReport.objects.unscoped(reason="is the category in use")
                .filter(category_id=category.pk)
                .exists()
            ):
                raise DomainError(
                    _(
                        "Reports already use the code “%(code)s”, so it cannot change: "
                        "integrations and the reports refer to it."
                    )
                    % {"code": before["code"]},
                    code="code_in_use",
                    field="code",
                )
            changed = diff(before, _category_values(category))
            if not changed:
                return category
            category.save(update_fields=list(CATEGORY_FIELDS))
            record(
                actor=actor,
                action="civic.category_update",
                target=category,
                region=region,
                changes=changed,
            )
    except IntegrityError:
        raise _duplicate_category(category) from None
    return category


def category_set_active(*, actor, category: Category, active: bool) -> Category:
    """Retire a category (no longer offered to reporters or listed by Open311; its reports keep
    it) or put it back in use. Categories are never deleted."""
    region = _authorize_categories(actor)
    return _set_active(
        category,
        active,
        actor=actor,
        lock=_locked_category,
        region=lambda _category: region,
        actions=("civic.category_reinstate", "civic.category_retire"),
        already=(_("This category is already in use."), _("This category is already retired.")),
    )


# --- Open311 API keys ----------------------------------------------------------------------------
def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_client_create(*, actor, name: str, region) -> tuple[ApiClient, str]:
    """A new integration and its key (shown once; only the hash is kept)."""
    authorize(actor, Perm.MANAGE_CIVIC, region=region)
    key = "wb311_" + secrets.token_urlsafe(24)
    client = ApiClient(
        name=(name or "").strip(),
        region=region,
        key_prefix=key[6:12],
        key_hash=hash_key(key),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    if not client.name:
        raise DomainError(
            _("Name the integration, for example “12345 hotline”."), code="required", field="name"
        )
    with transaction.atomic():
        clean_model(client, exclude=["region", "created_by"])
        client.save()
        # Never the key itself: its prefix is enough to tell keys apart.
        record(
            actor=actor,
            action="civic.api_key_create",
            target=client,
            region=region,
            changes={
                "name": [None, client.name],
                "region": [None, region.pk],
                "key_prefix": [None, client.key_prefix],
            },
        )
    return client, key


def api_client_revoke(*, actor, client: ApiClient) -> ApiClient:
    """Revoke an integration's key: Open311 refuses it from now on (403). Not undone: the
    integration gets a new key instead."""
    authorize(actor, Perm.MANAGE_CIVIC, obj=client)
    with transaction.atomic():
        client = (
            ApiClient.objects.unscoped(reason="row lock after authorisation")
            .select_for_update()
            .get(pk=client.pk)
        )
        if not client.is_active:
            raise DomainError(_("This key is already revoked."), code="already_revoked")
        client.is_active = False
        client.save(update_fields=["is_active"])
        record(
            actor=actor,
            action="civic.api_key_revoke",
            target=client,
            region=client.region_id,
            changes={"is_active": [True, False]},
        )
    return client


def api_client_for_key(key: str | None) -> ApiClient | None:
    """The active client of an Open311 key (from the routing snapshot: no query), its last use
    stamped at most every 5 minutes."""
    if not key:
        return None
    client = routing.config().clients.get(hash_key(str(key)))
    if client is not None:
        now = timezone.now()
        if client.last_used_at is None or now - client.last_used_at > dt.timedelta(minutes=5):
            client.last_used_at = now
            ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
    return client


def open_statuses() -> frozenset:
    return OPEN_STATUSES
