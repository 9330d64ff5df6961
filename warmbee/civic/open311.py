"""Open311 GeoReport v2 at ``/open311/v2/`` (docs/adr/0013-civic-reports-and-open311.md).

Endpoints (each with a ``.json`` or ``.xml`` suffix, as the standard defines):
``discovery``, ``services``, ``services/{service_code}``, ``requests`` (GET with
``service_request_id``, ``service_code``, ``start_date``, ``end_date``, ``status``; POST),
``requests/{service_request_id}``, ``tokens/{token}``.

Privacy (R31): no reporter field is ever produced; ``lat``/``long`` have 3 decimals; the
description and media only once staff have acknowledged the report (moderation, R34). WarmBee's
states map onto ``open``/``closed`` and the state itself is named in ``status_notes``.

POST needs an integration's ``api_key`` (hashed at rest, rate limited per key) and an
idempotency key (``Idempotency-Key`` header or ``idempotency_key`` field; a WarmBee extension
required by R38): a retry returns the first request. Reports are created synchronously, so the
response has the ``service_request_id`` and a ``token`` that ``tokens/{token}`` resolves.
Errors are the standard's ``[{"code", "description"}]`` list; nothing is written on any error.
"""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from ninja import NinjaAPI

from warmbee.core.errors import DomainError, NotFound

from . import routing, selectors, services
from .models import OPEN_STATUSES, Category, CivicReport, Status

FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
DEFAULT_DAYS = 90
MAX_RESULTS = 1000
DATATYPES = {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}

api = NinjaAPI(
    title="WarmBee Open311 GeoReport v2",
    version="v2",
    description="Open311 GeoReport v2 over snap-and-report (see docs/open311.md).",
    urls_namespace="open311",
    docs_url=None,
    openapi_url=None,
)


# --- rendering -----------------------------------------------------------------------------------
def _xml_value(parent: ET.Element, key: str, value) -> None:
    child = ET.SubElement(parent, key)
    if value is None:
        return
    if isinstance(value, bool):
        child.text = "true" if value else "false"
    elif isinstance(value, list):
        item_tag = {"values": "value", "attributes": "attribute", "formats": "format"}.get(
            key, "item"
        )
        for item in value:
            if isinstance(item, dict):
                node = ET.SubElement(child, item_tag)
                for k, v in item.items():
                    _xml_value(node, k, v)
            else:
                ET.SubElement(child, item_tag).text = str(item)
    elif isinstance(value, dict):
        for k, v in value.items():
            _xml_value(child, k, v)
    else:
        child.text = str(value)


def render(data, fmt: str, *, root: str, item: str, status: int = 200) -> HttpResponse:
    """A list of dicts (or one dict for discovery / a service definition) as JSON or XML."""
    if fmt == "json":
        body = json.dumps(data, ensure_ascii=False)
    else:
        top = ET.Element(root)
        if isinstance(data, list):
            for row in data:
                node = ET.SubElement(top, item)
                for k, v in row.items():
                    _xml_value(node, k, v)
        else:
            for k, v in data.items():
                _xml_value(top, k, v)
        body = ET.tostring(top, encoding="unicode", xml_declaration=True)
    response = HttpResponse(body, status=status, content_type=FORMATS[fmt])
    response["Access-Control-Allow-Origin"] = "*"
    return response


def error(fmt: str, status: int, description: str) -> HttpResponse:
    return render(
        [{"code": status, "description": description}],
        fmt if fmt in FORMATS else "json",
        root="errors",
        item="error",
        status=status,
    )


def _fmt(fmt: str) -> str:
    if fmt not in FORMATS:
        raise NotFound(_("Use .json or .xml."))
    return fmt


def _domain_error(exc: DomainError, fmt: str) -> HttpResponse:
    field = {"lat": "lat", "lng": "long", "category": "service_code", "location": "lat/long"}.get(
        exc.field or "", exc.field
    )
    text = f"{field}: {exc.message}" if field else str(exc.message)
    return error(fmt, exc.status, text)


def _register_error_handlers() -> None:
    from django.http import Http404

    def on_error(request, exc):
        status = getattr(exc, "status", 404)
        message = getattr(exc, "message", None) or _("Not found.")
        return error(request.open311_fmt, status, str(message))

    api.add_exception_handler(DomainError, on_error)
    api.add_exception_handler(Http404, on_error)


_register_error_handlers()


def _set_fmt(request: HttpRequest, fmt: str) -> str:
    request.open311_fmt = fmt if fmt in FORMATS else "json"
    return _fmt(fmt)


# --- representations -----------------------------------------------------------------------------
def service_json(category: Category) -> dict:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.description or category.name_en,
        "metadata": bool(category.questions),
        "type": "realtime",
        "keywords": category.name_en,
        "group": category.group or "",
    }


def definition_json(category: Category) -> dict:
    attributes = []
    for n, q in enumerate(category.questions, start=1):
        datatype = q.get("datatype", "string")
        attributes.append(
            {
                "variable": True,
                "code": q["code"],
                "datatype": datatype if datatype in DATATYPES else "string",
                "required": bool(q.get("required")),
                "datatype_description": q.get("datatype_description") or None,
                "order": int(q.get("order") or n),
                "description": q.get("description", q["code"]),
                "values": [
                    {"key": str(v["key"]), "name": str(v["name"])} for v in q.get("values", [])
                ],
            }
        )
    return {"service_code": category.code, "attributes": attributes}


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if value else None


def status_note(report: CivicReport) -> str:
    label = Status(report.status).label
    return f"{label}: {report.status_notes}" if report.status_notes else str(label)


def request_json(report: CivicReport, request: HttpRequest) -> dict:
    """The public view of one report: no reporter, 3 decimals, moderated text and media."""
    moderated = report.photos_public
    photo = None
    if moderated:
        photo = next((p for p in report.photos.all() if p.kind == "report"), None)
    return {
        "service_request_id": report.code,
        "status": "open" if report.status in OPEN_STATUSES else "closed",
        "status_notes": status_note(report),
        "service_name": report.category.name,
        "service_code": report.category.code,
        "description": report.description if moderated else None,
        "agency_responsible": report.routed_body or None,
        "service_notice": None,
        "requested_datetime": _iso(report.created_at),
        "updated_datetime": _iso(report.updated_at),
        "expected_datetime": _iso(report.resolve_due_at) if report.is_open else None,
        "address": (report.address or None) if moderated else None,
        "address_id": None,
        "zipcode": None,
        "lat": selectors.public_coordinate(report.lat),
        "long": selectors.public_coordinate(report.lng),
        "media_url": (
            request.build_absolute_uri(reverse("civic:photo", args=[photo.pk])) if photo else None
        ),
    }


def _public():
    return CivicReport.objects.public().select_related("category").prefetch_related("photos")


# --- endpoints -----------------------------------------------------------------------------------
@api.get("/discovery.{fmt}", url_name="discovery", include_in_schema=False)
def discovery(request, fmt: str):
    fmt = _set_fmt(request, fmt)
    base = request.build_absolute_uri(reverse("open311:services", args=["json"]))
    base = base.rsplit("/", 1)[0] + "/"
    data = {
        "changeset": _iso(timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)),
        "contact": settings.SITE_NAME,
        "key_service": _("API keys are issued by district and city officers in the console."),
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": base,
                "changeset": "2024-01-01T00:00:00Z",
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }
    return render(data, fmt, root="discovery", item="endpoint")


@api.get("/services.{fmt}", url_name="services", include_in_schema=False)
def service_list(request, fmt: str):
    fmt = _set_fmt(request, fmt)
    rows = [service_json(c) for c in selectors.categories()]
    return render(rows, fmt, root="services", item="service")


@api.get("/services/{code}.{fmt}", url_name="service", include_in_schema=False)
def service_definition(request, code: str, fmt: str):
    fmt = _set_fmt(request, fmt)
    category = Category.objects.filter(code=code, is_active=True).first()
    if category is None:
        return error(fmt, 404, _("service_code: there is no such service."))
    return render(definition_json(category), fmt, root="service_definition", item="attribute")


def _date(request, name: str, fmt: str):
    raw = request.GET.get(name)
    if not raw:
        return None
    value = parse_datetime(raw.replace(" ", "+"))
    if value is None:
        raise DomainError(_("Use a W3C date-time such as 2026-12-01T08:00:00+08:00."), field=name)
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


@api.get("/requests.{fmt}", url_name="requests", include_in_schema=False)
def request_list(request, fmt: str):
    fmt = _set_fmt(request, fmt)
    qs = _public()
    ids = [i for i in request.GET.get("service_request_id", "").split(",") if i.strip()]
    if ids:
        qs = qs.filter(code__in=[i.strip() for i in ids[:MAX_RESULTS]])
    else:
        try:
            start = _date(request, "start_date", fmt)
            end = _date(request, "end_date", fmt)
        except DomainError as exc:
            return error(fmt, 400, f"{exc.field}: {exc.message}")
        if start is None and end is None:
            start = timezone.now() - dt.timedelta(days=DEFAULT_DAYS)
        if start is not None:
            qs = qs.filter(created_at__gte=start)
        if end is not None:
            qs = qs.filter(created_at__lte=end)
        codes = [c for c in request.GET.get("service_code", "").split(",") if c.strip()]
        if codes:
            qs = qs.filter(category__code__in=[c.strip() for c in codes])
        status = request.GET.get("status", "")
        wanted = {s.strip() for s in status.split(",") if s.strip()}
        if wanted - {"open", "closed"}:
            return error(fmt, 400, _("status: use open or closed."))
        if wanted == {"open"}:
            qs = qs.filter(status__in=OPEN_STATUSES)
        elif wanted == {"closed"}:
            qs = qs.exclude(status__in=OPEN_STATUSES)
    rows = [request_json(r, request) for r in qs.order_by("-created_at", "-id")[:MAX_RESULTS]]
    return render(rows, fmt, root="service_requests", item="request")


@api.get("/requests/{code}.{fmt}", url_name="request", include_in_schema=False)
def request_detail(request, code: str, fmt: str):
    fmt = _set_fmt(request, fmt)
    report = _public().filter(code=code).first()
    if report is None:
        return error(fmt, 404, _("service_request_id: there is no such request."))
    return render([request_json(report, request)], fmt, root="service_requests", item="request")


@api.get("/tokens/{token}.{fmt}", url_name="token", include_in_schema=False)
def token_detail(request, token: str, fmt: str):
    fmt = _set_fmt(request, fmt)
    report = _public().filter(code=token).first()
    if report is None:
        return error(fmt, 404, _("token: there is no such token."))
    rows = [{"service_request_id": report.code, "token": report.code}]
    return render(rows, fmt, root="service_requests", item="request")


@api.post("/requests.{fmt}", url_name="requests_post", include_in_schema=False)
def request_create(request, fmt: str):
    fmt = _set_fmt(request, fmt)
    data = request.POST
    client = services.api_client_for_key(data.get("api_key") or request.headers.get("X-Api-Key"))
    if client is None:
        return error(fmt, 403, _("api_key: missing or not valid."))
    code = (data.get("service_code") or "").strip()
    if not code:
        return error(fmt, 400, _("service_code: this field is required."))
    category = routing.config().category(code)
    if category is None:
        return error(fmt, 400, _("service_code: there is no such service."))
    lat, lng = data.get("lat", "").strip(), data.get("long", "").strip()
    if not lat or not lng:
        # An address alone cannot be placed on a grid area without a geocoder (ADR 0013).
        return error(fmt, 400, _("lat/long: give the spot as lat and long (WGS-84)."))
    key = request.headers.get("Idempotency-Key") or data.get("idempotency_key") or ""
    answers = {}
    for q in category.questions:
        name = f"attribute[{q['code']}]"
        values = data.getlist(name) or data.getlist(name + "[]")
        answers[q["code"]] = (
            values if q.get("datatype") == "multivaluelist" else (values or [""])[0]
        )
    description = data.get("description", "")
    if data.get("media_url"):
        description = (description + "\n" + data["media_url"][:300]).strip()
    try:
        intake = services.report_submit(
            actor=None,
            category=category,
            lat=lat,
            lng=lng,
            address=data.get("address_string", ""),
            description=description,
            answers=answers,
            photos=request.FILES.getlist("media")[: services.MAX_PHOTOS],
            idempotency_key=key,
            client=client,
        )
    except DomainError as exc:
        return _domain_error(exc, fmt)
    report = intake.report
    rows = [
        {
            "service_request_id": report.code,
            "token": report.code,
            "service_notice": status_note(report),
            "account_id": None,
        }
    ]
    return render(rows, fmt, root="service_requests", item="request", status=201)
