from __future__ import annotations

import base64
import io

import segno
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.encoding import force_str
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_decode
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from warmbee.core.errors import DomainError
from warmbee.core.views import attach_error, console_required

from . import selectors, services
from .forms import (
    ChangePasswordForm,
    GrantForm,
    LoginForm,
    PasswordForm,
    ReasonForm,
    SetPasswordForm,
    TokenForm,
    UserCreateForm,
    UserFilterForm,
)
from .models import User
from .passwords import password_expired
from .roles import GRANTABLE, Perm
from .scoping import has_perm


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


# --- login and session ------------------------------------------------------------------------
@sensitive_post_parameters("password")
def login_view(request):
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = services.login_attempt(
                request=request,
                phone=form.cleaned_data["phone"],
                password=form.cleaned_data["password"],
            )
        except services.LoginLocked as exc:
            form.add_error(None, exc.message)
            status = 429
        except services.LoginFailed as exc:
            form.add_error(None, exc.message)
        else:
            login(request, user, backend="warmbee.accounts.auth.PhoneBackend")
            services.login_record(request=request, user=user)
            if password_expired(user):
                messages.warning(request, _("Your password has expired. Choose a new one."))
                return redirect("accounts:me")
            return redirect(_safe_next(request, reverse("core:home")))
    return render(
        request,
        "accounts/login.html",
        {"form": form, "next": request.GET.get("next", "")},
        status=status,
    )


def lockout_response(request, credentials=None, *args, **kwargs):
    """What django-axes returns for a locked phone number: the same for known and unknown."""
    form = LoginForm(request.POST or None)
    form.is_valid()
    form.add_error(None, _("Too many attempts. Try again in 15 minutes."))
    return render(request, "accounts/login.html", {"form": form}, status=429)


@require_POST
def logout_view(request):
    if request.user.is_authenticated:
        services.logout_record(request=request, user=request.user)
    logout(request)
    return redirect("core:home")


@login_required
def mfa_view(request):
    """Second step of login for accounts with an authenticator; enrolment where it is required."""
    user = request.user
    if user.is_verified():
        return redirect(_safe_next(request, reverse("core:home")))
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return redirect("accounts:mfa_enrol")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.mfa_verify(request=request, user=user, token=form.cleaned_data["token"])
        except DomainError as exc:
            attach_error(form, exc)
        else:
            return redirect(_safe_next(request, reverse("core:home")))
    return render(request, "accounts/mfa.html", {"form": form})


@login_required
def mfa_enrol_view(request):
    user = request.user
    has_device = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    if has_device and not user.is_verified():
        return redirect("accounts:mfa")
    form = TokenForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                codes = services.mfa_enrol_confirm(
                    request=request, user=user, token=form.cleaned_data["token"]
                )
            except DomainError as exc:
                attach_error(form, exc)
            else:
                return render(request, "accounts/mfa_codes.html", {"codes": codes})
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    else:
        device = services.mfa_enrol_start(user=user)
    if device is None:
        device = services.mfa_enrol_start(user=user)
    qr = segno.make(device.config_url, error="m")
    buf = io.BytesIO()
    qr.save(buf, kind="png", scale=5, border=2)
    secret = base64.b32encode(device.bin_key).decode()
    return render(
        request,
        "accounts/mfa_enrol.html",
        {
            "form": form,
            "qr_png": base64.b64encode(buf.getvalue()).decode(),
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        },
    )


@sensitive_post_parameters("password", "password2")
def activate_view(request, uidb64: str, token: str):
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
        user = User.objects.unscoped(reason="activation link").get(pk=pk, is_active=True)
    except (ValueError, TypeError, OverflowError, User.DoesNotExist):
        user = None
    form = SetPasswordForm(request.POST or None)
    if user is None or not services.default_token_generator.check_token(user, token):
        return render(request, "accounts/activate.html", {"invalid": True}, status=404)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_activate(user=user, token=token, password=form.cleaned_data["password"])
        except DomainError as exc:
            attach_error(form, exc, {"password": "password"})
        else:
            messages.success(request, _("Your password is set. Log in with your mobile number."))
            return redirect("accounts:login")
    return render(request, "accounts/activate.html", {"form": form})


@login_required
@sensitive_post_parameters("old_password", "password", "password2")
def me_view(request):
    user = request.user
    form = ChangePasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_change(
                user=user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["password"],
            )
        except DomainError as exc:
            attach_error(form, exc, {"new_password": "password"})
        else:
            from django.contrib.auth import update_session_auth_hash

            update_session_auth_hash(request, user)
            messages.success(request, _("Your password has been changed."))
            return redirect("accounts:me")
    return render(
        request,
        "accounts/me.html",
        {
            "form": form,
            "grants": user.active_grants(),
            "has_mfa": TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
        },
    )


@login_required
@sensitive_post_parameters("password")
def reauth_view(request):
    form = PasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.reauthenticate(
                request=request, user=request.user, password=form.cleaned_data["password"]
            )
        except DomainError as exc:
            attach_error(form, exc)
        else:
            return redirect(_safe_next(request, reverse("accounts:me")))
    return render(request, "accounts/reauth.html", {"form": form, "next": _safe_next(request, "")})


# --- staff console: accounts ------------------------------------------------------------------
@console_required(Perm.VIEW_USER)
def console_users(request):
    form = UserFilterForm(request.GET or None)
    filters = selectors.UserFilters(**(form.cleaned_data if form.is_valid() else {}))
    page = Paginator(selectors.user_list(actor=request.user, filters=filters), 50).get_page(
        request.GET.get("page")
    )
    context = {"form": form, "page": page, "can_create": has_perm(request.user, Perm.MANAGE_USER)}
    template = "accounts/console_users.html"
    if request.htmx:
        template += "#results"
    return TemplateResponse(request, template, context)


def _grantable_roles(actor) -> list[str]:
    roles: set[str] = set()
    for grant in actor.active_grants():
        roles |= GRANTABLE.get(grant.role, frozenset())
    from .roles import Role

    return [r for r in Role.values if r in roles]


@console_required(Perm.MANAGE_USER)
def console_user_create(request):
    actor = request.user
    form = UserCreateForm(
        request.POST or None,
        regions=selectors.manageable_regions(actor),
        roles=_grantable_roles(actor),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.user_create(
                actor=actor,
                phone=data["phone"],
                name=data["name"],
                region=data["region"],
                role=data["role"] or None,
            )
        except DomainError as exc:
            attach_error(form, exc)
        else:
            link = request.build_absolute_uri(services.activation_path(user))
            messages.success(
                request,
                _(
                    "Account created. Give the person this one-time link to "
                    "set their password: %(link)s"
                )
                % {"link": link},
            )
            return redirect("accounts:console_user", pk=user.pk)
    return render(request, "accounts/console_user_create.html", {"form": form})


@console_required(Perm.VIEW_USER)
def console_user(request, pk: int):
    actor = request.user
    user = selectors.access_user(actor, pk)
    can_manage = has_perm(actor, Perm.MANAGE_USER, user.region)
    context = {
        "subject": user,
        "grants": user.active_grants(),
        "can_manage": can_manage and user.pk != actor.pk,
        "can_unlock": has_perm(actor, Perm.UNLOCK_USER, user.region) and user.pk != actor.pk,
        "grant_form": GrantForm(
            regions=selectors.manageable_regions(actor, Perm.GRANT_ROLE),
            roles=_grantable_roles(actor),
        ),
        "reason_form": ReasonForm(),
        "has_mfa": TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
    }
    return render(request, "accounts/console_user.html", context)


def _console_action(request, pk: int, perm: str, action):
    """Run one POSTed action on an account, then go back to its page with the outcome."""
    user = selectors.access_user(request.user, pk, perm)
    try:
        message = action(user)
    except DomainError as exc:
        if exc.status == 404:
            raise Http404 from exc
        if exc.code == "reauth_required":
            return HttpResponseRedirect(
                reverse("accounts:reauth") + "?next=" + reverse("accounts:console_user", args=[pk])
            )
        messages.error(request, str(exc.message))
    else:
        if message:
            messages.success(request, message)
    return redirect("accounts:console_user", pk=pk)


@require_POST
@console_required(Perm.MANAGE_USER)
def console_user_disable(request, pk: int):
    form = ReasonForm(request.POST)
    reason = form.data.get("reason", "")

    def act(user):
        services.user_disable(actor=request.user, user=user, reason=reason)
        return _("The account is disabled and its sessions have ended.")

    return _console_action(request, pk, Perm.MANAGE_USER, act)


@require_POST
@console_required(Perm.MANAGE_USER)
def console_user_enable(request, pk: int):
    def act(user):
        services.user_enable(actor=request.user, user=user)
        return _("The account is enabled.")

    return _console_action(request, pk, Perm.MANAGE_USER, act)


@require_POST
@console_required(Perm.MANAGE_USER)
def console_user_activation(request, pk: int):
    def act(user):
        path = services.activation_issue(actor=request.user, user=user)
        return _("Give the person this one-time link to set a new password: %(link)s") % {
            "link": request.build_absolute_uri(path)
        }

    return _console_action(request, pk, Perm.MANAGE_USER, act)


@require_POST
@console_required(Perm.GRANT_ROLE)
def console_user_grant(request, pk: int):
    actor = request.user
    form = GrantForm(
        request.POST,
        regions=selectors.manageable_regions(actor, Perm.GRANT_ROLE),
        roles=_grantable_roles(actor),
    )

    def act(user):
        services.require_recent_auth(request)
        if not form.is_valid():
            first = next(iter(form.errors.items()))
            raise DomainError(f"{form.fields[first[0]].label}: {first[1][0]}", field=first[0])
        services.role_grant(
            actor=actor,
            user=user,
            role=form.cleaned_data["role"],
            region=form.cleaned_data["region"],
        )
        return _("Role granted.")

    return _console_action(request, pk, Perm.GRANT_ROLE, act)


@require_POST
@console_required(Perm.GRANT_ROLE)
def console_user_revoke(request, pk: int, grant_pk: int):
    def act(user):
        services.require_recent_auth(request)
        grant = next((g for g in user.active_grants() if g.pk == grant_pk), None)
        if grant is None:
            raise Http404
        services.role_revoke(actor=request.user, grant=grant)
        return _("Role revoked.")

    return _console_action(request, pk, Perm.GRANT_ROLE, act)


@require_POST
@console_required(Perm.UNLOCK_USER)
def console_user_unlock(request, pk: int):
    def act(user):
        services.user_unlock(actor=request.user, user=user)
        return _("Login lock lifted.")

    return _console_action(request, pk, Perm.UNLOCK_USER, act)


@require_POST
@console_required(Perm.UNLOCK_USER)
def console_user_mfa_reset(request, pk: int):
    reason = request.POST.get("reason", "")

    def act(user):
        services.require_recent_auth(request)
        services.mfa_reset(actor=request.user, user=user, reason=reason)
        return _("Authenticator removed; the person will enrol again at next login.")

    return _console_action(request, pk, Perm.UNLOCK_USER, act)
