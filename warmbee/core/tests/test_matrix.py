"""The authorisation matrix: every URL pattern × every persona × every object position (R1–R6).

Like Zulip's URL coverage test, ``test_every_url_pattern_is_in_the_matrix`` fails when a URL
pattern is added without an entry here. Expected outcomes come from the reference tables below,
written by hand from the role design — not from the code under test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.messages import constants as message_levels
from django.urls import URLResolver, get_resolver, reverse

from conftest import ALL_PERSONAS, POSITIONS
from warmbee.accounts.models import User
from warmbee.audit.models import AuditEvent

# --- the reference model -----------------------------------------------------------------------
# Which positions' accounts each persona can see / manage. Everyone else: none.
SEES_USERS = {
    "district_officer": {"own"},
    "other_district": {"sibling"},
    "city_officer": {"own", "sibling"},
    "province_officer": {"own", "sibling", "other_city"},
    "security_admin": {"own", "sibling"},
}
MANAGES_USERS = SEES_USERS  # the same personas hold manage, grant and unlock over the same area
HAS_VIEW_USER = set(SEES_USERS) | {"community_officer"}
HAS_MANAGE_USER = set(MANAGES_USERS)
HAS_AUDIT = {"auditor"}
NO_POSITION = ["-"]


@dataclass
class Route:
    method: str
    url: Callable
    expect: Callable  # (persona, position) -> status
    positional: bool = False
    data: Callable | None = None
    changes_state: bool = False
    # Optional: set up objects in ``ctx`` (positional routes), and snapshot the state that a
    # denied request must leave untouched.
    setup: Callable | None = None
    state: Callable | None = None


def _login_redirect(persona, code):
    return 302 if persona == "anonymous" else code


def page(ok_personas=None, *, anonymous=302, others=404):
    def expect(persona, position):
        if persona == "anonymous":
            return anonymous
        if ok_personas is None or persona in ok_personas:
            return 200
        return others

    return expect


def user_page(persona, position):
    if persona == "anonymous":
        return 302
    if persona not in HAS_VIEW_USER:
        return 404
    return 200 if position in SEES_USERS.get(persona, ()) else 404


def user_action(persona, position):
    if persona == "anonymous":
        return 302
    return 302 if position in MANAGES_USERS.get(persona, ()) else 404


def api_user(persona, position):
    if persona == "anonymous":
        return 401
    return 200 if position in SEES_USERS.get(persona, ()) else 404


def api_list(ok):
    def expect(persona, position):
        if persona == "anonymous":
            return 401
        return 200 if persona in ok else 403

    return expect


def api_create(persona, position):
    if persona == "anonymous":
        return 401
    if persona not in HAS_MANAGE_USER:
        return 403
    return 201 if position in MANAGES_USERS[persona] else 400


def public(status=200):
    return lambda persona, position: status


def u(name):
    return lambda ctx: reverse(name)


def target_url(name, **extra):
    return lambda ctx: reverse(
        name, kwargs={"pk": ctx["target"].pk, **extra(ctx)} if extra else {"pk": ctx["target"].pk}
    )


ROUTES: dict[str, Route] = {
    "core:home": Route("get", u("core:home"), public()),
    "core:healthz": Route("get", u("core:healthz"), public()),
    "admin_login": Route("get", u("admin_login"), public(302)),
    "set_language": Route(
        "post", u("set_language"), public(302), data=lambda ctx: {"language": "en", "next": "/"}
    ),
    "accounts:login": Route("get", u("accounts:login"), public()),
    "accounts:logout": Route("post", u("accounts:logout"), public(302)),
    "accounts:mfa": Route("get", u("accounts:mfa"), lambda p, pos: 302),
    "accounts:mfa_enrol": Route("get", u("accounts:mfa_enrol"), page()),
    "accounts:activate": Route(
        "get", lambda ctx: reverse("accounts:activate", args=["MQ", "bad-token"]), public(404)
    ),
    "accounts:me": Route("get", u("accounts:me"), page()),
    "accounts:reauth": Route("get", u("accounts:reauth"), page()),
    "accounts:console_users": Route("get", u("accounts:console_users"), page(HAS_VIEW_USER)),
    "accounts:console_user_create": Route(
        "get", u("accounts:console_user_create"), page(HAS_MANAGE_USER)
    ),
    "accounts:console_user": Route(
        "get", target_url("accounts:console_user"), user_page, positional=True
    ),
    "accounts:console_user_disable": Route(
        "post",
        target_url("accounts:console_user_disable"),
        user_action,
        positional=True,
        data=lambda ctx: {"reason": "left the company"},
        changes_state=True,
    ),
    "accounts:console_user_enable": Route(
        "post",
        target_url("accounts:console_user_enable"),
        user_action,
        positional=True,
        changes_state=True,
    ),
    "accounts:console_user_activation": Route(
        "post",
        target_url("accounts:console_user_activation"),
        user_action,
        positional=True,
        changes_state=True,
    ),
    "accounts:console_user_grant": Route(
        "post",
        target_url("accounts:console_user_grant"),
        user_action,
        positional=True,
        data=lambda ctx: {"role": "station_host", "region": ctx["target"].region_id},
        changes_state=True,
    ),
    "accounts:console_user_revoke": Route(
        "post",
        lambda ctx: reverse(
            "accounts:console_user_revoke",
            args=[ctx["target"].pk, ctx["target"].active_grants()[0].pk],
        ),
        user_action,
        positional=True,
        changes_state=True,
    ),
    "accounts:console_user_unlock": Route(
        "post",
        target_url("accounts:console_user_unlock"),
        user_action,
        positional=True,
        changes_state=True,
    ),
    "accounts:console_user_mfa_reset": Route(
        "post",
        target_url("accounts:console_user_mfa_reset"),
        user_action,
        positional=True,
        data=lambda ctx: {"reason": "lost phone"},
        changes_state=True,
    ),
    "audit:console_events": Route("get", u("audit:console_events"), page(HAS_AUDIT)),
    "api:openapi-json": Route("get", u("api:openapi-json"), public()),
    "api:openapi-view": Route("get", u("api:openapi-view"), public()),
    "api:api-root": Route("get", u("api:api-root"), public(404)),
    "api:region_list": Route("get", u("api:region_list"), public()),
    "api:region_detail": Route(
        "get",
        lambda ctx: reverse("api:region_detail", args=[ctx["target"].region_id]),
        public(),
        positional=True,
    ),
    "api:me": Route("get", u("api:me"), api_list(set(ALL_PERSONAS))),
    "api:user_list": Route("get", u("api:user_list"), api_list(HAS_VIEW_USER)),
    "api:user_create": Route(
        "post_json",
        u("api:user_create"),
        api_create,
        positional=True,
        data=lambda ctx: {"phone": "13912345678", "name": "新用户", "region": ctx["region"]},
        changes_state=True,
    ),
    "api:user_detail": Route(
        "get",
        lambda ctx: reverse("api:user_detail", args=[ctx["target"].pk]),
        api_user,
        positional=True,
    ),
    "api:event_list": Route("get", u("api:event_list"), api_list(HAS_AUDIT)),
}


def _app_routes() -> dict[str, Route]:
    """Apps keep their rows of the matrix beside their tests (``<app>/tests/matrix.py``)."""
    from warmbee.aid.tests.matrix import routes as aid_routes
    from warmbee.casework.tests.matrix import routes as casework_routes
    from warmbee.civic.tests.matrix import routes as civic_routes
    from warmbee.core.tests.matrix import routes as import_routes
    from warmbee.notify.tests.matrix import routes as notify_routes
    from warmbee.orgs.tests.matrix import routes as org_routes
    from warmbee.points.tests.matrix import routes as points_routes
    from warmbee.privacy.tests.matrix import routes as privacy_routes
    from warmbee.regions.tests.matrix import routes as region_routes
    from warmbee.stations.tests.matrix import routes as station_routes
    from warmbee.workers.tests.matrix import routes as worker_routes

    return {
        **station_routes(Route),
        **org_routes(Route),
        **worker_routes(Route),
        **notify_routes(Route),
        **privacy_routes(Route),
        **import_routes(Route),
        **region_routes(Route),
        **civic_routes(Route),
        **points_routes(Route),
        **casework_routes(Route),
        **aid_routes(Route),
    }


ROUTES.update(_app_routes())


def url_pattern_names():
    def walk(resolver, ns=None):
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                inner = ":".join(x for x in [ns, p.namespace] if x) if p.namespace else ns
                yield from walk(p, inner)
            else:
                yield f"{ns}:{p.name}" if ns else p.name

    return list(walk(get_resolver()))


def test_every_url_pattern_is_in_the_matrix():
    names = url_pattern_names()
    assert None not in names, "every URL pattern needs a name"
    missing = sorted(n for n in names if n not in ROUTES and not n.startswith("admin:"))
    assert missing == [], f"add these URL patterns to the authorisation matrix: {missing}"
    assert sorted(set(ROUTES) - set(names)) == []


CASES = [
    pytest.param(name, persona, position, id=f"{name}-{persona}-{position}")
    for name, route in ROUTES.items()
    for persona in ALL_PERSONAS
    for position in (POSITIONS if route.positional else NO_POSITION)
]


@pytest.mark.parametrize(("name", "persona", "position"), CASES)
def test_matrix(name, persona, position, as_persona, make_user, personas):
    route = ROUTES[name]
    ctx = {"region": POSITIONS.get(position, "230602"), "personas": personas, "position": position}
    if position != "-":
        ctx["target"] = make_user(region=POSITIONS[position], name="目标人")
    if route.setup:
        route.setup(ctx)
    state_before = route.state(ctx) if route.state else None
    client = as_persona(persona)
    url = route.url(ctx)
    users_before = User.objects.unscoped(reason="test").count()
    audit_before = AuditEvent.objects.count()
    target_before = (
        User.objects.unscoped(reason="test").filter(pk=ctx["target"].pk).values().get()
        if "target" in ctx
        else None
    )
    data = route.data(ctx) if route.data else {}
    if route.method == "get":
        response = client.get(url)
    elif route.method == "post_json":
        response = client.post(url, data, content_type="application/json")
    else:
        response = client.post(url, data)
    expected = route.expect(persona, position)
    assert response.status_code == expected, response.content[:300]
    if response.status_code == 302 and route.changes_state and persona != "anonymous":
        # The action took effect: its audit row exists and no error was flashed.
        assert AuditEvent.objects.count() > audit_before
        errors = [m for m in response.wsgi_request._messages if m.level == message_levels.ERROR]
        assert errors == []
    if (
        route.changes_state
        and expected in {401, 403, 404, 400}
        or (route.changes_state and persona == "anonymous")
    ):
        # Denied: nothing changed and nothing was audited (R3).
        assert User.objects.unscoped(reason="test").count() == users_before
        assert AuditEvent.objects.count() == audit_before
        if target_before is not None:
            after = User.objects.unscoped(reason="test").filter(pk=ctx["target"].pk).values().get()
            assert after == target_before
        if route.state:
            assert route.state(ctx) == state_before


@pytest.mark.parametrize("persona", ALL_PERSONAS)
def test_user_lists_hold_exactly_the_scoped_accounts(persona, as_persona, make_user, personas):
    targets = {pos: make_user(region=code, name="目标人") for pos, code in POSITIONS.items()}
    client = as_persona(persona)
    response = client.get("/api/v1/accounts/users?limit=1000")
    if persona not in HAS_VIEW_USER:
        assert response.status_code in {401, 403}
        return
    ids = {row["id"] for row in response.json()["items"]}
    for pos, target in targets.items():
        assert (target.pk in ids) == (pos in SEES_USERS.get(persona, ())), pos
    # The console page shows the same total as the API.
    page = client.get("/console/users/")
    assert page.context["page"].paginator.count == response.json()["count"]


@pytest.mark.parametrize("persona", ALL_PERSONAS)
def test_admin_site_only_for_system_administrators(persona, as_persona):
    client = as_persona(persona)
    response = client.get("/admin/")
    assert response.status_code == (200 if persona == "system_admin" else 302)
    if persona == "system_admin":
        # Reference data is there; business and personal data are not.
        assert client.get("/admin/regions/region/").status_code == 200
        assert client.get("/admin/regions/region/230602/change/").status_code == 200
        assert client.get("/admin/otp_totp/totpdevice/").status_code == 403
        assert "accounts" not in response.content.decode()


def test_every_admin_pattern_refuses_non_administrators(as_persona):
    client = as_persona("city_officer")
    for name in url_pattern_names():
        if not name.startswith("admin:"):
            continue
        try:
            url = reverse(name)
        except Exception:  # noqa: BLE001 - patterns with arguments
            continue
        assert client.get(url).status_code in {302, 404}, name
