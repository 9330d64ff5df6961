"""Points pages: the worker's ``/me/points/``, the host's redemption and catalogue pages, the
officers' console. Thin: parse → selector or service → render or redirect with a message. A
``DomainError`` about the input is shown as a message on the page the form lives on; 403 and
404 escape to ``DomainErrorMiddleware``."""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from warmbee.accounts.roles import Perm
from warmbee.accounts.scoping import has_perm
from warmbee.core import qr
from warmbee.core.errors import DomainError

from . import selectors, services

PAGE_SIZE = 20


def _user_error(request, exc: DomainError) -> None:
    if exc.status in (403, 404):
        raise exc
    messages.error(request, str(exc.message))


def _int(value, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


# --- the worker ----------------------------------------------------------------------------------
@login_required
def me_points(request):
    account = selectors.own_account(request.user)
    if account is None:
        raise Http404
    page = Paginator(selectors.history(account), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "points/me_points.html",
        {
            "account": account,
            "qr": qr.qr_svg(f"WBPT:{account.redeem_code}", scale=5),
            "page": page,
            "pending": list(selectors.pending_for(account)),
        },
    )


@login_required
@require_POST
def me_new_code(request):
    account = selectors.own_account(request.user)
    if account is None:
        raise Http404
    services.account_new_code(actor=request.user, account=account)
    messages.success(request, _("Your personal code has been replaced."))
    return redirect("points:me_points")


@login_required
def me_redemption(request, pk: int):
    redemption = selectors.own_redemption(request.user, pk)
    return render(request, "points/me_redemption.html", {"r": redemption})


@login_required
@require_POST
def me_redemption_decide(request, pk: int, decision: str):
    redemption = selectors.own_redemption(request.user, pk)
    try:
        if decision == "confirm":
            services.redemption_confirm(actor=request.user, redemption=redemption)
            messages.success(request, _("Redeemed. Collect your goods from the host."))
        else:
            services.redemption_decline(actor=request.user, redemption=redemption)
            messages.success(request, _("Declined. Nothing was spent."))
    except DomainError as exc:
        _user_error(request, exc)
    return redirect("points:me_points")


def me_confirm(request, pk):
    return me_redemption_decide(request, pk, "confirm")


def me_decline(request, pk):
    return me_redemption_decide(request, pk, "decline")


# --- the station host ------------------------------------------------------------------------------
def _hosted_station(actor, code: str):
    from warmbee.stations.models import Station
    from warmbee.stations.selectors import is_host

    station = Station.objects.unscoped(reason="checked below").filter(code=code).first()
    if station is None or not is_host(actor, station):
        raise Http404
    return station


def _catalogue_station(actor, code: str):
    from warmbee.stations.models import Station
    from warmbee.stations.selectors import is_host

    station = (
        Station.objects.unscoped(reason="checked below")
        .select_related("region")
        .filter(code=code)
        .first()
    )
    if station is None or not (
        is_host(actor, station) or has_perm(actor, Perm.ADJUST_POINTS, station.region)
    ):
        raise Http404
    return station


@login_required
def host_redeem(request, code: str):
    station = _hosted_station(request.user, code)
    if request.method == "POST":
        goods = (
            selectors.catalogue(station, offered_only=True)
            .filter(pk=_int(request.POST.get("goods")))
            .first()
        )
        if goods is None:
            messages.error(request, _("Choose goods from this station's catalogue."))
        else:
            try:
                redemption = services.redemption_start(
                    actor=request.user,
                    station=station,
                    code=request.POST.get("code", ""),
                    goods=goods,
                    quantity=_int(request.POST.get("quantity"), 1),
                    idempotency_key=f"host:{request.user.pk}:{request.POST.get('key', '')[:40]}",
                )
                return redirect("points:host_redemption", code=station.code, pk=redemption.pk)
            except DomainError as exc:
                _user_error(request, exc)
    return render(
        request,
        "points/host_redeem.html",
        {
            "station": station,
            "goods": selectors.catalogue(station, offered_only=True).filter(stock__gt=0),
            "key": secrets.token_urlsafe(16),
            "tier_ok": station.tier in services.REDEEM_TIERS,
            "code": request.POST.get("code", "") if request.method == "POST" else "",
        },
    )


@login_required
def host_redemption(request, code: str, pk: int):
    station = _hosted_station(request.user, code)
    redemption = selectors.station_redemption(station, pk)
    template = (
        "points/_host_redemption_status.html" if request.htmx else "points/host_redemption.html"
    )
    return render(request, template, {"station": station, "r": redemption})


@login_required
@require_POST
def host_redemption_cancel(request, code: str, pk: int):
    station = _hosted_station(request.user, code)
    redemption = selectors.station_redemption(station, pk)
    try:
        services.redemption_cancel(actor=request.user, redemption=redemption)
        messages.success(request, _("The redemption was cancelled."))
    except DomainError as exc:
        _user_error(request, exc)
    return redirect("points:host_redeem", code=station.code)


@login_required
def host_goods(request, code: str):
    station = _catalogue_station(request.user, code)
    if request.method == "POST":
        try:
            services.goods_create(
                actor=request.user,
                station=station,
                name=request.POST.get("name", ""),
                points=_int(request.POST.get("points")),
                stock=_int(request.POST.get("stock")),
            )
            messages.success(request, _("Added to the catalogue."))
            return redirect("points:host_goods", code=station.code)
        except DomainError as exc:
            _user_error(request, exc)
    return render(
        request,
        "points/host_goods.html",
        {
            "station": station,
            "goods": selectors.catalogue(station),
            "tier_ok": station.tier in services.REDEEM_TIERS,
        },
    )


@login_required
@require_POST
def host_goods_update(request, code: str, pk: int):
    station = _catalogue_station(request.user, code)
    goods = selectors.catalogue(station).filter(pk=pk).first()
    if goods is None:
        raise Http404
    try:
        services.goods_update(
            actor=request.user,
            goods=goods,
            points=_int(request.POST.get("points"), goods.points),
            stock=_int(request.POST.get("stock"), goods.stock),
            is_active=request.POST.get("is_active") == "on",
        )
        messages.success(request, _("Saved."))
    except DomainError as exc:
        _user_error(request, exc)
    return redirect("points:host_goods", code=station.code)


# --- officers ----------------------------------------------------------------------------------------
@login_required
def console_points(request):
    if not request.user.holds(Perm.VIEW_POINTS):
        raise Http404
    q = request.GET.get("q", "").strip()[:40]
    accounts = Paginator(selectors.accounts_in_scope(request.user, q), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "points/console_points.html",
        {"f": selectors.figures(request.user), "accounts": accounts, "q": q},
    )


@login_required
def console_account(request, pk: int):
    account = selectors.access_account(request.user, pk)
    page = Paginator(selectors.history(account), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "points/console_account.html",
        {
            "account": account,
            "page": page,
            "key": secrets.token_urlsafe(16),
            "can_adjust": has_perm(request.user, Perm.ADJUST_POINTS, account.region),
            "threshold": services.settings.POINTS_ADJUST_APPROVAL_THRESHOLD,
        },
    )


@login_required
@require_POST
def console_adjust(request, pk: int):
    account = selectors.access_account(request.user, pk)
    try:
        adj = services.adjustment_propose(
            actor=request.user,
            worker=account.worker,
            points=_int(request.POST.get("points")),
            reason=request.POST.get("reason", ""),
            idempotency_key=f"adjust:{request.user.pk}:{request.POST.get('key', '')[:40]}",
        )
        if adj.status == "applied":
            messages.success(request, _("The adjustment has been applied."))
        else:
            messages.success(request, _("The adjustment waits for a second officer's approval."))
    except DomainError as exc:
        _user_error(request, exc)
    return redirect("points:console_account", pk=account.pk)


@login_required
@require_POST
def console_reverse(request, pk: int):
    entry = selectors.access_entry(request.user, pk)
    try:
        services.entry_reverse(
            actor=request.user, entry=entry, reason=request.POST.get("reason", "")
        )
        messages.success(request, _("The entry has been reversed."))
    except DomainError as exc:
        _user_error(request, exc)
    return redirect("points:console_account", pk=entry.account_id)


@login_required
@require_POST
def console_decide(request, pk: int, decision: str):
    adjustment = selectors.access_adjustment(request.user, pk)
    note = request.POST.get("note", "")
    try:
        if decision == "approve":
            services.adjustment_approve(actor=request.user, adjustment=adjustment, note=note)
            messages.success(request, _("Approved and applied."))
        else:
            services.adjustment_reject(actor=request.user, adjustment=adjustment, note=note)
            messages.success(request, _("Rejected."))
    except DomainError as exc:
        _user_error(request, exc)
    return redirect(reverse("points:console_points"))


def console_approve(request, pk):
    return console_decide(request, pk, "approve")


def console_reject(request, pk):
    return console_decide(request, pk, "reject")
