"""The points JSON API: the worker's own account and history (paginated, newest first) and the
officers' figures in scope; 401, 403 and 404 like the other endpoints. Read-only."""

from __future__ import annotations

import pytest

from warmbee.points import services
from warmbee.points.models import LedgerEntry

from .conftest import key

pytestmark = pytest.mark.django_db


def _redeem(personas, station, goods, worker, quantity=1):
    account = services.account_for(worker)
    redemption = services.redemption_start(
        actor=personas["host"],
        station=station,
        code=account.redeem_code,
        goods=goods,
        quantity=quantity,
        idempotency_key=key("start"),
    )
    return services.redemption_confirm(actor=personas["courier"], redemption=redemption)


def test_me_shows_the_balance_and_the_personal_code(
    as_persona, personas, worker, earn, station, goods
):
    earn(worker, times=2)
    services.redemption_start(
        actor=personas["host"],
        station=station,
        code=services.account_for(worker).redeem_code,
        goods=goods,
        quantity=1,
        idempotency_key=key("start"),
    )
    r = as_persona("courier").get("/api/v1/points/me")
    assert r.status_code == 200
    account = services.account_for(worker)
    body = r.json()
    assert body.pop("opened_at")
    assert body == {
        "balance": 20,
        "redeem_code": account.redeem_code,
        "redeem_qr": f"WBPT:{account.redeem_code}",
        "pending_redemptions": 1,
    }


@pytest.mark.parametrize(
    ("persona", "status", "code"),
    [
        ("anonymous", 401, "not_authenticated"),
        ("host", 403, "forbidden"),
        ("district_officer", 403, "forbidden"),
        ("courier", 404, "not_found"),  # a worker account without a worker profile
    ],
    ids=["anonymous", "host", "officer", "no-profile"],
)
def test_me_refusals_have_the_api_shape(as_persona, persona, status, code):
    for url in ("/api/v1/points/me", "/api/v1/points/me/entries"):
        r = as_persona(persona).get(url)
        assert r.status_code == status, url
        assert r.json()["code"] == code
    assert not LedgerEntry.objects.unscoped(reason="test").exists()


def test_entries_are_paginated_newest_first(
    as_persona, personas, worker, earn, station, goods, make_worker, django_assert_max_num_queries
):
    earned = earn(worker, times=3)
    redemption = _redeem(personas, station, goods, worker)
    services.entry_reverse(actor=personas["district_officer"], entry=earned[0], reason="重复")
    earn(make_worker("230602"))  # somebody else's points
    client = as_persona("courier")
    with django_assert_max_num_queries(8):
        r = client.get("/api/v1/points/me/entries?limit=2")
    assert r.status_code == 200
    page = r.json()
    assert page["count"] == 5
    newest = list(
        LedgerEntry.objects.unscoped(reason="test")
        .filter(account__worker=worker)
        .order_by("-created_at", "-id")
    )
    assert [e["id"] for e in page["items"]] == [e.pk for e in newest[:2]]
    reversal, redeemed = page["items"]
    assert (reversal["kind"], reversal["points"], reversal["rule"]) == ("reverse", -10, None)
    assert (redeemed["kind"], redeemed["points"], redeemed["source"]) == (
        "redeem",
        -5,
        redemption.entry.source,
    )
    rest = client.get("/api/v1/points/me/entries?limit=2&offset=2").json()["items"]
    rest += client.get("/api/v1/points/me/entries?limit=2&offset=4").json()["items"]
    assert [e["id"] for e in rest] == [e.pk for e in newest[2:]]
    oldest = rest[-1]
    assert oldest["id"] == earned[0].pk and oldest["reversed"] is True
    assert oldest["rule"] == "civic.report_confirmed" and oldest["rule_name"]
    assert oldest["expires_at"] is None or oldest["expires_at"] > oldest["created_at"]
    assert [e["reversed"] for e in rest[:-1]] == [False, False]
    assert set(oldest) == {
        "id",
        "kind",
        "kind_label",
        "points",
        "rule",
        "rule_name",
        "note",
        "source",
        "created_at",
        "expires_at",
        "reversed",
    }
    assert client.get("/api/v1/points/me/entries?limit=x").status_code == 422


def test_figures_are_by_district_within_scope(
    as_persona, personas, worker, earn, station, goods, make_worker
):
    earn(worker, times=3)
    _redeem(personas, station, goods, worker, quantity=2)
    earn(make_worker("230603"))
    r = as_persona("district_officer").get("/api/v1/points/figures")
    assert r.status_code == 200
    body = r.json()
    assert body["totals"] == {"accounts": 1, "balance": 20}
    [row] = body["by_month"]
    assert (row["district"], row["district_code"], row["earned"], row["redeemed"]) == (
        "萨尔图区",
        "230602",
        30,
        10,
    )
    assert body["top_goods"] == [
        {"goods": "矿泉水", "station": "萨尔图暖蜂驿站", "items": 2, "redemptions": 1}
    ]
    city = as_persona("city_officer").get("/api/v1/points/figures").json()
    assert city["totals"] == {"accounts": 2, "balance": 30}
    assert {r["district_code"] for r in city["by_month"]} == {"230602", "230603"}
    other = as_persona("other_district").get("/api/v1/points/figures").json()
    assert other["totals"] == {"accounts": 1, "balance": 10} and other["top_goods"] == []
    # No personal rows: no worker names, no personal codes.
    text = r.content.decode()
    assert worker.name not in text and services.account_for(worker).redeem_code not in text
    assert as_persona("courier").get("/api/v1/points/figures").status_code == 403
    assert as_persona("anonymous").get("/api/v1/points/figures").status_code == 401
