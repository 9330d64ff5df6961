"""Casework pages: the worker's phone pages (``help/``), the provider's queue and case page and
the officers' figures (``console/``). GET never changes anything except the audit row written
when staff open a case's contents; every change is a POST to one service, then a redirect (``core.views.form_post`` and
``action_post``). A service's rule violation (400) is shown on its form; 404 and 409 go to the
error pages.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from warmbee.accounts.roles import Perm
from warmbee.accounts.scoping import filter_regions, has_perm
from warmbee.core.errors import DomainError
from warmbee.core.views import (
    action_post,
    attach_error,
    console_required,
    form_post,
    raise_unless_input,
)
from warmbee.regions.models import Region

from . import rules, selectors, services
from .forms import (
    AskForm,
    AssignForm,
    CloseForm,
    DeskMemberForm,
    EntryForm,
    OnBehalfForm,
    RateForm,
    ReferForm,
    ReopenForm,
    ReplyForm,
)
from .models import Channel, DeskMember, EntryKind, Kind, Status


def _shown(exc: DomainError, form) -> None:
    """A request refused by a rule (400) or the daily limit (429) is shown on the ask form."""
    raise_unless_input(exc, (400, 429))
    attach_error(form, exc)


def _ask_required(view):
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path())
        if not has_perm(request.user, Perm.ASK_HELP):
            raise Http404
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


# --- the worker ------------------------------------------------------------------------------------
@never_cache
@_ask_required
def my_list(request):
    context = {
        "cases": selectors.my_requests(request.user),
        "hotlines": rules.HOTLINES.items(),
        "desks": selectors.desks_near(request.user.region),
    }
    return render(request, "casework/my_list.html", context)


@never_cache
@_ask_required
def ask(request):
    form = AskForm(request.POST or None, initial={"kind": request.GET.get("kind", "")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case, hotlines = services.help_request_create(
                actor=request.user,
                kind=data["kind"],
                description=data["description"],
                urgency=data["urgency"],
                contact_by=data["contact_by"],
                consent=data["consent"],
            )
        except DomainError as exc:
            _shown(exc, form)
        else:
            if hotlines:
                messages.warning(
                    request,
                    _("If you are in danger now, call a hotline below. The desk has been told."),
                )
            else:
                messages.success(request, _("Your request has been sent to the desk."))
            return redirect("casework:my_case", pk=case.pk)
    return render(request, "casework/ask.html", {"form": form})


def _my_case_page(request, case, **forms):
    role = services.case_open(actor=request.user, case=case)
    description = selectors.description_of(case)
    categories = {t.category for t in services.crisis_matches(description)} if case.crisis else ()
    context = {
        "case": case,
        "description": description,
        "entries": selectors.timeline(case, role),
        # A term deactivated since still leaves the emergency numbers on a crisis case.
        "hotlines": rules.hotlines_for(sorted(categories) or ["other"]) if case.crisis else [],
        "reply_form": forms.get("reply_form") or ReplyForm(),
        "rate_form": forms.get("rate_form") or RateForm(),
        "reopen_form": forms.get("reopen_form") or ReopenForm(),
        "can_rate": case.status == Status.CLOSED and case.rated_at is None,
        "can_reopen": case.status == Status.CLOSED,
    }
    return render(request, "casework/my_case.html", context)


@never_cache
@_ask_required
def my_case(request, pk: int):
    return _my_case_page(request, selectors.access_own_case(request.user, pk))


@require_POST
@_ask_required
def my_reply(request, pk: int):
    case = selectors.access_own_case(request.user, pk)
    form = ReplyForm(request.POST)
    return form_post(
        request,
        form,
        lambda: services.case_add_entry(
            actor=request.user, case=case, kind=EntryKind.WORKER, body=form.cleaned_data["body"]
        ),
        done=_("Sent to the desk."),
        to=reverse("casework:my_case", args=[case.pk]),
        page=lambda form: _my_case_page(request, case, reply_form=form),
    )


@require_POST
@_ask_required
def my_withdraw(request, pk: int):
    case = selectors.access_own_case(request.user, pk)
    return action_post(
        request,
        lambda: services.case_withdraw(actor=request.user, case=case),
        done=_("Your request has been withdrawn."),
        to=reverse("casework:my_case", args=[case.pk]),
    )


@require_POST
@_ask_required
def my_rate(request, pk: int):
    case = selectors.access_own_case(request.user, pk)
    form = RateForm(request.POST)
    return form_post(
        request,
        form,
        lambda: services.case_rate(actor=request.user, case=case, **form.cleaned_data),
        done=_("Thank you for your rating."),
        to=reverse("casework:my_case", args=[case.pk]),
        page=lambda form: _my_case_page(request, case, rate_form=form),
    )


@require_POST
@_ask_required
def my_reopen(request, pk: int):
    case = selectors.access_own_case(request.user, pk)
    form = ReopenForm(request.POST)
    return form_post(
        request,
        form,
        lambda: services.case_reopen(actor=request.user, case=case, **form.cleaned_data),
        done=_("Your request is open again."),
        to=reverse("casework:my_case", args=[case.pk]),
        page=lambda form: _my_case_page(request, case, reopen_form=form),
    )


# --- providers -------------------------------------------------------------------------------------
@never_cache
@console_required(Perm.HANDLE_CASE)
def queue(request):
    closed = request.GET.get("show") == "closed"
    mine = services.memberships(request.user)
    context = {
        "cases": selectors.queue(request.user, closed=closed),
        "closed": closed,
        "memberships": mine,
        "on_duty": any(m.on_duty for m in mine),
        "can_log": has_perm(request.user, Perm.LOG_HELP_REQUEST),
    }
    return render(request, "casework/queue.html", context)


@require_POST
@console_required(Perm.HANDLE_CASE)
def duty(request):
    on = request.POST.get("on_duty") == "1"
    return action_post(
        request,
        lambda: services.duty_set(actor=request.user, on_duty=on),
        done=_("You are on duty.") if on else _("You are off duty."),
        to="casework:queue",
    )


def _log_regions(user):
    regions = filter_regions(user, Perm.LOG_HELP_REQUEST)
    if regions:
        return regions
    return list(Region.objects.filter(code=user.region_id))


@never_cache
@console_required(Perm.LOG_HELP_REQUEST)
def log_request(request):
    regions = _log_regions(request.user)
    initial = {
        "channel": Channel.STATION
        if not has_perm(request.user, Perm.HANDLE_CASE)
        else Channel.HOTLINE
    }
    form = OnBehalfForm(request.POST or None, regions=regions, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case, hotlines = services.help_request_create(
                actor=request.user,
                kind=data["kind"],
                description=data["description"],
                urgency=data["urgency"],
                contact_by=data["contact_by"],
                consent=data["consent"],
                channel=data["channel"],
                contact_name=data["contact_name"],
                contact_phone=data["contact_phone"],
                region=Region.objects.get(code=data["region"]),
            )
        except DomainError as exc:
            _shown(exc, form)
        else:
            text = _("Request %(number)s logged and sent to the desk.") % {"number": case.number}
            if hotlines:
                text += " " + _("Crisis words found: give the worker these numbers now: %(n)s.") % {
                    "n": " / ".join(n for n, _label in hotlines)
                }
            messages.success(request, text)
            if services.role_on(request.user, case):
                return redirect("casework:case", pk=case.pk)
            return redirect("casework:log")
    return render(request, "casework/log.html", {"form": form})


def _case_page(request, case, role, **forms):
    if role == "officer":
        # R4: existence, desk, status and times only; nothing is decrypted for this page.
        return render(request, "casework/case_meta.html", {"case": case})
    services.case_open(actor=request.user, case=case)
    members = selectors.desk_choices(case) if role == "supervisor" else []
    context = {
        "case": case,
        "role": role,
        "description": selectors.description_of(case),
        "entries": selectors.timeline(case, role),
        "entry_form": forms.get("entry_form") or EntryForm(),
        "close_form": forms.get("close_form") or CloseForm(),
        "refer_form": forms.get("refer_form") or ReferForm(),
        "assign_form": forms.get("assign_form")
        or (
            AssignForm(members=members, initial={"provider": case.handled_by_id})
            if members
            else None
        ),
        "is_open": case.is_open,
        "full_phone": forms.get("full_phone", ""),
    }
    return render(request, "casework/case.html", context)


@never_cache
@login_required
def case(request, pk: int):
    found, role = selectors.access_case(request.user, pk)
    if role == "worker":
        return redirect("casework:my_case", pk=found.pk)
    return _case_page(request, found, role)


@require_POST
@login_required
def case_entry(request, pk: int):
    found, role = selectors.access_handled_case(request.user, pk)
    form = EntryForm(request.POST)
    return form_post(
        request,
        form,
        lambda: services.case_add_entry(actor=request.user, case=found, **form.cleaned_data),
        done=_("Added to the case."),
        to=reverse("casework:case", args=[found.pk]),
        page=lambda form: _case_page(request, found, role, entry_form=form),
    )


@require_POST
@login_required
def case_reveal(request, pk: int):
    """The handler's "show the mobile number" button: the page again, with the full number."""
    found, role = selectors.access_handled_case(request.user, pk)
    phone = services.case_reveal_phone(actor=request.user, case=found)
    return _case_page(request, found, role, full_phone=phone)


@require_POST
@login_required
def case_close(request, pk: int):
    found, role = selectors.access_handled_case(request.user, pk)
    form = CloseForm(request.POST)
    return form_post(
        request,
        form,
        lambda: services.case_close(actor=request.user, case=found, **form.cleaned_data),
        done=_("The case is closed."),
        to=reverse("casework:case", args=[found.pk]),
        page=lambda form: _case_page(request, found, role, close_form=form),
    )


@require_POST
@login_required
def case_refer(request, pk: int):
    found, role = selectors.access_handled_case(request.user, pk)
    form = ReferForm(request.POST)
    return form_post(
        request,
        form,
        lambda: services.case_refer(actor=request.user, case=found, **form.cleaned_data),
        done=_("The case is referred and closed."),
        to=reverse("casework:case", args=[found.pk]),
        page=lambda form: _case_page(request, found, role, refer_form=form),
    )


@require_POST
@login_required
def case_assign(request, pk: int):
    found, role = selectors.access_handled_case(request.user, pk)
    members = selectors.desk_choices(found)
    form = AssignForm(request.POST, members=members)

    def assign():
        chosen = form.cleaned_data["provider"]
        provider = next(m.user for m in members if str(m.user_id) == chosen)
        return services.case_assign(actor=request.user, case=found, provider=provider)

    return form_post(
        request,
        form,
        assign,
        done=lambda case: _("The case is assigned to %(name)s.") % {"name": case.handled_by.name},
        to=reverse("casework:case", args=[found.pk]),
        page=lambda form: _case_page(request, found, role, assign_form=form),
    )


@require_POST
@login_required
def case_reopen(request, pk: int):
    found, _role = selectors.access_handled_case(request.user, pk)
    return action_post(
        request,
        lambda: services.case_reopen(
            actor=request.user, case=found, reason=request.POST.get("reason", "")
        ),
        done=_("The case is open again."),
        to=reverse("casework:case", args=[found.pk]),
    )


# --- officers --------------------------------------------------------------------------------------
@never_cache
@console_required(Perm.VIEW_CASE_FIGURES)
def figures(request):
    regions = filter_regions(request.user, Perm.VIEW_CASE_FIGURES)
    code = request.GET.get("region", "")
    region = next((r for r in regions if r.code == code), None)
    status = request.GET.get("status", "")
    kind = request.GET.get("kind", "")
    rows = selectors.meta_rows(request.user, region=region, status=status, desk=kind).order_by(
        "-created_at", "-id"
    )
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    kinds, statuses = dict(Kind.choices), dict(Status.choices)
    for row in page:
        row["kind_label"] = kinds.get(row["kind"], row["kind"])
        row["status_label"] = statuses.get(row["status"], row["status"])
    context = {
        "figures": selectors.figures(request.user, region=region),
        "page": page,
        "regions": regions,
        "region": region,
        "status": status,
        "kind": kind,
        "statuses": Status.choices,
        "kinds": Kind.choices,
        "can_manage_desks": has_perm(request.user, Perm.MANAGE_DESK),
    }
    return render(request, "casework/figures.html", context)


# --- officers: who staffs the desks -------------------------------------------------------
def _desks_page(request, form=None):
    desks = list(selectors.desks_for(request.user))
    members = (
        DeskMember.objects.visible_to(request.user, Perm.MANAGE_DESK)
        .select_related("user")
        .order_by("desk_id", "-is_supervisor", "user__name")
    )
    by_desk: dict[int, list] = {}
    for m in members:
        by_desk.setdefault(m.desk_id, []).append(m)
    rows = [{"desk": d, "members": by_desk.get(d.pk, [])} for d in desks]
    form = form or DeskMemberForm(desks=desks)
    return render(request, "casework/desks.html", {"rows": rows, "form": form})


@never_cache
@console_required(Perm.MANAGE_DESK)
def desks(request):
    return _desks_page(request)


@require_POST
@console_required(Perm.MANAGE_DESK)
def desk_member_add(request):
    from warmbee.accounts.models import User
    from warmbee.core.validators import normalize_mobile

    desk_list = list(selectors.desks_for(request.user))
    form = DeskMemberForm(request.POST, desks=desk_list)
    if form.is_valid():
        desk = next(d for d in desk_list if str(d.pk) == form.cleaned_data["desk"])
        try:
            phone = normalize_mobile(form.cleaned_data["phone"])
        except Exception:  # noqa: BLE001 - ValidationError: shown on the field
            form.add_error("phone", _("Enter a valid mainland mobile number."))
        else:
            user = (
                User.objects.unscoped(reason="a provider by mobile; the service checks the grant")
                .filter(phone=phone, is_active=True)
                .first()
            )
            try:
                if user is None:
                    raise DomainError(
                        _("This account is not a service provider for the desk's region."),
                        code="not_provider",
                        field="phone",
                    )
                services.desk_member_set(
                    actor=request.user,
                    desk=desk,
                    user=user,
                    is_supervisor=form.cleaned_data["is_supervisor"],
                )
            except DomainError as exc:
                raise_unless_input(exc)
                form.add_error("phone", str(exc.message))
            else:
                messages.success(request, _("%(name)s staffs the desk.") % {"name": user.name})
                return redirect("casework:desks")
    return _desks_page(request, form)


@require_POST
@console_required(Perm.MANAGE_DESK)
def desk_member_remove(request, pk: int):
    from warmbee.accounts.scoping import access

    member = access(DeskMember, request.user, Perm.MANAGE_DESK, pk=pk)
    return action_post(
        request,
        lambda: services.desk_member_remove(actor=request.user, member=member),
        done=_("Removed from the desk."),
        to="casework:desks",
    )
