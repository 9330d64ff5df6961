"""The officers' console rows of the authorisation matrix (see ``matrix.py`` for the model).

Pages without a station: VIEW_STATION holders (officers, community officers included) see the
list, map and export; MANAGE_STATION holders (district, city and province officers) also create
and import. Pages and actions on one station follow the station's position.
"""

from __future__ import annotations

from django.urls import reverse

from .matrix import (
    MANAGES,
    VIEWS,
    code_url,
    officer_action,
    officer_page,
    station_setup,
    station_state,
)


def _host_in_position(ctx):
    """An account holding the station host role in the position's region."""
    from conftest import next_phone
    from warmbee.accounts.roles import Role
    from warmbee.accounts.services import operator_user_create
    from warmbee.regions.models import Region

    return operator_user_create(
        phone=next_phone(),
        name="新站长",
        role=Role.STATION_HOST,
        region=Region.objects.get(code=ctx["region"]),
        password=None,
    )


def _setup_new_host(ctx) -> None:
    station_setup(ctx)
    ctx["new_host"] = _host_in_position(ctx)


def _setup_hosted(ctx) -> None:
    from warmbee.stations.models import StationHost

    station_setup(ctx)
    ctx["hosted_by"] = _host_in_position(ctx)
    StationHost.objects.create(station=ctx["station"], user=ctx["hosted_by"])


def _setup_closed(ctx) -> None:
    from warmbee.stations.models import Station

    station_setup(ctx)
    Station.objects.unscoped(reason="test").filter(pk=ctx["station"].pk).update(is_active=False)


def _page(perm_holders):
    def expect(persona, position):
        if persona == "anonymous":
            return 302
        return 200 if persona in perm_holders else 404

    return expect


def _u(name):
    return lambda ctx: reverse(name)


def routes(Route) -> dict:
    view, manage = VIEWS, set(MANAGES)
    return {
        "stations:console_list": Route("get", _u("stations:console_list"), _page(view)),
        "stations:console_map": Route("get", _u("stations:console_map"), _page(view)),
        "stations:console_create": Route("get", _u("stations:console_create"), _page(manage)),
        "stations:console_import": Route("get", _u("stations:console_import"), _page(manage)),
        "stations:console_import_template": Route(
            "get", _u("stations:console_import_template"), _page(manage)
        ),
        "stations:console_export": Route("get", _u("stations:console_export"), _page(view)),
        "stations:console_detail": Route(
            "get",
            code_url("stations:console_detail"),
            officer_page,
            positional=True,
            setup=station_setup,
        ),
        "stations:console_close": Route(
            "post",
            code_url("stations:console_close"),
            officer_action,
            positional=True,
            data=lambda ctx: {"reason": "场地到期"},
            changes_state=True,
            setup=station_setup,
            state=station_state,
        ),
        "stations:console_reopen": Route(
            "post",
            code_url("stations:console_reopen"),
            officer_action,
            positional=True,
            changes_state=True,
            setup=_setup_closed,
            state=station_state,
        ),
        "stations:console_host_add": Route(
            "post",
            code_url("stations:console_host_add"),
            officer_action,
            positional=True,
            data=lambda ctx: {"phone": ctx["new_host"].phone},
            changes_state=True,
            setup=_setup_new_host,
            state=station_state,
        ),
        "stations:console_host_remove": Route(
            "post",
            code_url("stations:console_host_remove", lambda ctx: ctx["hosted_by"].pk),
            officer_action,
            positional=True,
            changes_state=True,
            setup=_setup_hosted,
            state=station_state,
        ),
    }
