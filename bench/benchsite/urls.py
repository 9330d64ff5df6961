"""WarmBee's URLs plus ``/bench/bare/…``: the nearby endpoint's shape, answered from memory.

The bare endpoint has the same NinjaAPI style as ``GET /api/v1/stations/nearby``: the same
query schema, the same declared response schema, the same encoded-bytes answer and the same
``Cache-Control``; only the finder search and the payload building are replaced by a
precomputed payload of 10 stations (one real response, saved by ``bench/http_nearby.py`` to the
file named by ``WARMBEE_BENCH_PAYLOAD``).
``/bench/bare/raw`` returns the same bytes without schema validation, for comparison.

``POST /bench/civic/bare/requests.json`` (``bench/civic_intake.py``) reads the same form fields
as the Open311 POST and answers the same 201 JSON shape without touching the database.
"""

from __future__ import annotations

import json
import os
from functools import cache

from django.http import HttpResponse
from django.urls import path
from django.utils.cache import patch_cache_control
from ninja import NinjaAPI, Query

from warmbee.stations.api import PUBLIC_MAX_AGE, NearbyFilters, NearbyOut
from warmbee.urls import handler400, handler403, handler404, handler500  # noqa: F401
from warmbee.urls import urlpatterns as warmbee_urlpatterns

bench_api = NinjaAPI(title="bench", version="bench", urls_namespace="bench", auth=None)
civic_api = NinjaAPI(title="bench civic", version="bench", urls_namespace="bench_civic", auth=None)


@cache
def _payload() -> bytes:
    with open(os.environ["WARMBEE_BENCH_PAYLOAD"], "rb") as fh:
        return fh.read()


@bench_api.get("/nearby", response=NearbyOut, auth=None)
def bare_nearby(request, filters: Query[NearbyFilters]):
    # Exactly what the nearby endpoint does around its search: parse the same query schema,
    # answer encoded bytes (the real endpoint encodes from cached fragments, not the schema).
    answer = HttpResponse(_payload(), content_type="application/json; charset=utf-8")
    patch_cache_control(answer, public=True, max_age=PUBLIC_MAX_AGE)
    return answer


def bare_raw(request):
    response = HttpResponse(_payload(), content_type="application/json; charset=utf-8")
    patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
    return response


@civic_api.post("/requests.json")
def bare_intake(request):
    data = request.POST
    body = [
        {
            "service_request_id": (data.get("idempotency_key") or "x")[:10],
            "token": (data.get("idempotency_key") or "x")[:10],
            "service_notice": data.get("service_code", ""),
            "account_id": None,
        }
    ]
    return HttpResponse(json.dumps(body), status=201, content_type="application/json")


urlpatterns = [
    path("bench/bare/raw", bare_raw),
    path("bench/civic/bare/", civic_api.urls),
    path("bench/bare/", bench_api.urls),
    *warmbee_urlpatterns,
]
