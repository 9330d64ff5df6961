"""Open311 GeoReport v2: responses validate against the community schemas (JSON, and XML read
back into the same shape); malformed posts get clear errors and write nothing; privacy (R31)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from defusedxml import ElementTree as DET
from jsonschema import Draft7Validator
from referencing import Registry, Resource

from warmbee.audit.models import AuditEvent
from warmbee.civic import services
from warmbee.civic.models import CivicReport, Status

from .conftest import INSIDE_A, OUTSIDE, jpeg

pytestmark = pytest.mark.django_db
SCHEMAS = Path(__file__).parent / "data" / "open311"


def _registry() -> Registry:
    resources = []
    for path in SCHEMAS.glob("*.json"):
        resources.append(
            (
                path.name,
                Resource.from_contents(
                    json.loads(path.read_text()),
                    default_specification=__import__("referencing.jsonschema").jsonschema.DRAFT7,
                ),
            )
        )
    return Registry().with_resources(resources)


def validate(name: str, data) -> None:
    schema = json.loads((SCHEMAS / name).read_text())
    errors = list(Draft7Validator(schema, registry=_registry()).iter_errors(data))
    assert not errors, [e.message for e in errors[:5]]


NUMBERS = {"lat", "long", "order"}
BOOLEANS = {"metadata", "variable", "required"}
LISTS = {"attributes": "attribute", "values": "value"}


def _node(el):
    out = {}
    for child in el:
        tag = child.tag
        if tag in LISTS:
            out[tag] = [_node(c) for c in child]
        elif len(child):
            out[tag] = _node(child)
        elif child.text is None:
            out[tag] = None
        elif tag in NUMBERS:
            out[tag] = float(child.text) if "." in child.text else int(child.text)
        elif tag in BOOLEANS:
            out[tag] = child.text == "true"
        else:
            out[tag] = child.text
    return out


def from_xml(body: bytes, *, as_list: bool = True):
    root = DET.fromstring(body)
    return [_node(c) for c in root] if as_list else _node(root)


@pytest.fixture
def key(personas, region):
    _client, key = services.api_client_create(
        actor=personas["district_officer"], name="12345 热线", region=region("230602")
    )
    return key


@pytest.fixture
def reports(personas, submit):
    officer = personas["community_officer"]
    a = submit(personas["courier"], description="井盖丢了", photos=[jpeg()]).report
    a = services.report_transition(actor=officer, report=a, to=Status.ACKNOWLEDGED, note="马上到")
    b = submit(
        None, where=(46.603, 125.003), category="road", description="电话138 0000 0000"
    ).report
    return a, b


def test_discovery_services_and_definitions_validate(client, categories):
    r = client.get("/open311/v2/discovery.json")
    assert r.status_code == 200 and r.json()["endpoints"][0]["url"].endswith("/open311/v2/")
    r = client.get("/open311/v2/services.json")
    validate("services.json", r.json())
    assert {s["service_code"] for s in r.json()} == set(categories)
    r = client.get("/open311/v2/services/manhole.json")
    validate("service-definition.json", r.json())
    assert r.json()["attributes"][0]["values"][1] == {"key": "large", "name": "大"}
    assert client.get("/open311/v2/services/nope.json").status_code == 404


def test_xml_responses_validate_too(client, categories, reports):
    r = client.get("/open311/v2/services.xml")
    assert r["Content-Type"].startswith("text/xml")
    validate("services.json", from_xml(r.content))
    r = client.get("/open311/v2/services/manhole.xml")
    validate("service-definition.json", from_xml(r.content, as_list=False))
    r = client.get("/open311/v2/requests.xml")
    rows = from_xml(r.content)
    assert len(rows) == 2
    validate("requests.json", rows)


def test_requests_list_filters_and_privacy(client, reports):
    a, b = reports
    r = client.get("/open311/v2/requests.json")
    rows = r.json()
    validate("requests.json", rows)
    by_id = {row["service_request_id"]: row for row in rows}
    # R31: ≤ 3 decimals, no reporter fields; unmoderated text and photos are not public.
    for row in rows:
        for field in ("lat", "long"):
            assert len(str(row[field]).split(".")[1]) <= 3
    body = r.content.decode()
    assert "reporter" not in body and "courier" not in body and "138 0000" not in body
    assert by_id[a.code]["description"] == "井盖丢了"
    assert by_id[a.code]["media_url"].startswith("http://testserver/report/photos/")
    assert by_id[b.code]["description"] is None and by_id[b.code]["media_url"] is None
    assert by_id[a.code]["status"] == "open"
    assert by_id[a.code]["status_notes"].endswith("马上到")
    assert [
        x["service_request_id"]
        for x in client.get("/open311/v2/requests.json?service_code=road").json()
    ] == [b.code]
    assert client.get("/open311/v2/requests.json?status=closed").json() == []
    assert client.get("/open311/v2/requests.json?status=bogus").status_code == 400
    assert client.get("/open311/v2/requests.json?start_date=yesterday").status_code == 400
    assert client.get("/open311/v2/requests.json?end_date=2000-01-01T00:00:00Z").json() == []
    one = client.get(f"/open311/v2/requests/{a.code}.json")
    validate("requests.json", one.json())
    assert client.get("/open311/v2/requests/zzzzzz.json").status_code == 404
    tok = client.get(f"/open311/v2/tokens/{a.code}.json").json()
    assert tok == [{"service_request_id": a.code, "token": a.code}]


def test_post_creates_a_report_and_a_retry_returns_it(client, grid, categories, key):
    data = {
        "api_key": key,
        "service_code": "manhole",
        "lat": str(INSIDE_A[0]),
        "long": str(INSIDE_A[1]),
        "description": "市民来电：井盖缺失",
        "attribute[size]": "large",
        "media": jpeg(),
    }
    r = client.post("/open311/v2/requests.json", data, HTTP_IDEMPOTENCY_KEY="hotline-1")
    assert r.status_code == 201, r.content
    first = r.json()[0]
    report = CivicReport.objects.unscoped(reason="test").get()
    assert first["service_request_id"] == report.code
    assert report.source == "open311" and report.answers == {"size": "large"}
    assert report.photos.count() == 1 and report.reporter is None
    data["media"] = jpeg()
    again = client.post("/open311/v2/requests.json", data, HTTP_IDEMPOTENCY_KEY="hotline-1")
    assert again.json()[0]["service_request_id"] == report.code
    assert CivicReport.objects.unscoped(reason="test").count() == 1
    xml = client.post(
        "/open311/v2/requests.xml", data | {"media": jpeg()}, HTTP_IDEMPOTENCY_KEY="hotline-1"
    )
    assert from_xml(xml.content)[0]["service_request_id"] == report.code


def test_a_key_over_its_limit_gets_429_and_writes_nothing_but_retries_still_answer(
    client, grid, categories, key, settings
):
    """The key's window counts in the intake's own transaction (ADR 0018)."""
    settings.CIVIC_RATE_API = {"limit": 2, "window": 600}
    data = {"api_key": key, "service_code": "manhole", "lat": "", "long": str(INSIDE_A[1])}
    codes = []
    for n in range(3):
        data["lat"] = str(INSIDE_A[0] + 0.002 * n)  # apart: no near-duplicates
        r = client.post("/open311/v2/requests.json", data, HTTP_IDEMPOTENCY_KEY=f"k{n}")
        codes.append(r.status_code)
    assert codes == [201, 201, 429]
    assert CivicReport.objects.unscoped(reason="test").count() == 2
    data["lat"] = str(INSIDE_A[0])
    again = client.post("/open311/v2/requests.json", data, HTTP_IDEMPOTENCY_KEY="k0")
    assert again.status_code == 201
    assert CivicReport.objects.unscoped(reason="test").count() == 2


@pytest.mark.parametrize(
    ("change", "status", "text"),
    [
        ({"api_key": ""}, 403, "api_key"),
        ({"api_key": "wb311_guessed"}, 403, "api_key"),
        ({"service_code": ""}, 400, "service_code"),
        ({"service_code": "unicorn"}, 400, "service_code"),
        ({"lat": "north", "long": "125.0"}, 400, "lat"),
        ({"lat": "46.6", "long": "999"}, 400, "long"),
        ({"lat": "", "long": ""}, 400, "lat/long"),
        ({"lat": str(OUTSIDE[0]), "long": str(OUTSIDE[1])}, 400, "lat/long"),
        ({"attribute[size]": "huge"}, 400, "attribute[size]"),
        ({"idempotency_key": ""}, 400, "idempotency_key"),
    ],
    ids=[
        "no-key",
        "bad-key",
        "no-service",
        "unknown-service",
        "bad-lat",
        "long-out-of-range",
        "no-location",
        "outside-every-area",
        "bad-attribute",
        "no-idempotency-key",
    ],
)
def test_malformed_posts_get_clear_errors_and_write_nothing(
    client, grid, categories, key, change, status, text
):
    data = {
        "api_key": key,
        "service_code": "manhole",
        "lat": str(INSIDE_A[0]),
        "long": str(INSIDE_A[1]),
        "idempotency_key": "k-1",
    } | change
    audits = AuditEvent.objects.count()
    r = client.post("/open311/v2/requests.json", data)
    assert r.status_code == status
    body = r.json()
    assert body[0]["code"] == status and body[0]["description"].startswith(text)
    assert not CivicReport.objects.unscoped(reason="test").exists()
    assert AuditEvent.objects.count() == audits


def test_a_bad_media_upload_is_refused(client, grid, categories, key):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {
        "api_key": key,
        "service_code": "manhole",
        "lat": str(INSIDE_A[0]),
        "long": str(INSIDE_A[1]),
        "idempotency_key": "k-2",
        "media": SimpleUploadedFile("x.jpg", b"<html>not an image</html>", "image/jpeg"),
    }
    r = client.post("/open311/v2/requests.json", data)
    assert r.status_code == 400 and r.json()[0]["description"].startswith("photo")
    assert not CivicReport.objects.unscoped(reason="test").exists()


def test_unknown_format_is_404(client, categories):
    assert client.get("/open311/v2/services.csv").status_code == 404


def test_xml_error_shape(client, categories):
    r = client.post("/open311/v2/requests.xml", {})
    assert r.status_code == 403
    root = DET.fromstring(r.content)
    assert root.tag == "errors" and root[0].find("code").text == "403"
    assert re.match(r"api_key", root[0].find("description").text)
