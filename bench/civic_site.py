"""URLs for ``bench/civic_intake.py``: WarmBee plus a bare intake endpoint.

``POST /bench/civic/bare/requests.json`` is a NinjaAPI endpoint of the same framework (Django + django-ninja) that reads
the same form fields as the Open311 POST and answers the same 201 JSON shape without touching
the database. Settings: ``bench/civic_settings.py``.
"""

from __future__ import annotations

import json

from django.http import HttpResponse
from django.urls import path
from ninja import NinjaAPI

bare = NinjaAPI(title="bench civic", version="bench", urls_namespace="bench_civic", auth=None)


@bare.post("/requests.json")
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


from warmbee.urls import handler400, handler403, handler404, handler500  # noqa: E402, F401
from warmbee.urls import urlpatterns as warmbee_urlpatterns  # noqa: E402

urlpatterns = [path("bench/civic/bare/", bare.urls), *warmbee_urlpatterns]
