"""Account writes. Each is one transaction with its audit row (STYLE.md)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from warmbee.audit.models import Result
from warmbee.audit.services import diff, record
from warmbee.core import ratelimit
from warmbee.core.errors import Conflict, DomainError, Forbidden, NotFound, RateLimited
from warmbee.core.pi import mask_phone
from warmbee.core.validators import normalize_mobile
from warmbee.regions.models import Region

from .auth import canonical_phone
from .models import RecoveryCodeDevice, RoleAssignment, User, UserSession
from .roles import GRANTABLE, ROLE_LEVELS, SEPARATED_ROLES, Perm, Role
from .scoping import authorize, grant_paths

LOGIN_WINDOW_SECONDS = 15 * 60


# --- validation helpers ------------------------------------------------------------------------
def _validation_to_domain(exc: ValidationError, field: str) -> DomainError:
    messages = exc.messages
    code = getattr(exc, "code", None) or (exc.error_list[0].code if exc.error_list else None)
    return DomainError("; ".join(str(m) for m in messages), code=code or "invalid", field=field)


def clean_phone(value: str) -> str:
    try:
        return normalize_mobile(value)
    except ValidationError as exc:
        raise _validation_to_domain(exc, "phone") from None


def clean_name(value: str) -> str:
    name = (value or "").strip()
    if not name:
        raise DomainError(_("Enter a name."), code="required", field="name")
    if len(name) > 64:
        raise DomainError(_("Use at most 64 characters."), code="too_long", field="name")
    return name


def _phone_taken(phone: str, exclude_pk: int | None = None) -> bool:
    qs = User.objects.unscoped(reason="phone uniqueness").filter(phone=phone)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return qs.exists()


def _check_role_region(role: str, region: Region) -> None:
    if role not in Role.values:
        raise DomainError(_("Unknown role."), code="invalid_role", field="role")
    if region.level not in ROLE_LEVELS[role]:
        raise DomainError(
            _("%(role)s cannot be granted on a region of level %(level)s.")
            % {"role": Role(role).label, "level": region.get_level_display()},
            code="role_level",
            field="region",
        )
    if region.retired:
        raise DomainError(_("This region no longer exists."), code="region_retired", field="region")


def _can_grant(actor: User, role: str, region: Region) -> bool:
    return any(
        role in GRANTABLE.get(g.role, ()) and region.path.startswith(g.region.path)
        for g in actor.active_grants()
    )


# --- accounts ---------------------------------------------------------------------------------
def user_create(
    *,
    actor: User,
    phone: str,
    name: str,
    region: Region,
    role: str | None = None,
    role_region: Region | None = None,
) -> User:
    """Create an account with no usable password; the person sets one through an activation link
    (R8). Optionally grant a first role."""
    authorize(actor, Perm.MANAGE_USER, region=region)
    phone = clean_phone(phone)
    name = clean_name(name)
    if region.retired:
        raise DomainError(_("This region no longer exists."), code="region_retired", field="region")
    with transaction.atomic():
        if _phone_taken(phone):
            raise Conflict(
                _("An account with this mobile number already exists."),
                code="phone_taken",
                field="phone",
            )
        user = User(phone=phone, name=name, region=region)
        user.set_unusable_password()
        user.password_changed_at = None
        user.full_clean(exclude=["password"])
        try:
            user.save()
        except IntegrityError:
            raise Conflict(
                _("An account with this mobile number already exists."),
                code="phone_taken",
                field="phone",
            ) from None
        record(
            actor=actor,
            action="user.create",
            target=user,
            region=region,
            changes={"name": [None, user.audit_label()], "region": [None, region.code]},
        )
        if role:
            _grant(actor=actor, user=user, role=role, region=role_region or region)
    return user


def user_update(
    *, actor: User, user: User, name: str | None = None, region: Region | None = None
) -> User:
    """Rename or move an account. Moving needs scope over both the old and the new region (R3)."""
    authorize(actor, Perm.MANAGE_USER, obj=user)
    with transaction.atomic():
        user = User.objects.unscoped(reason="locked re-read").select_for_update().get(pk=user.pk)
        before = {"name": user.name, "region": user.region_id}
        if name is not None:
            user.name = clean_name(name)
        if region is not None and region.pk != user.region_id:
            authorize(actor, Perm.MANAGE_USER, region=region)
            user.region = region
        after = {"name": user.name, "region": user.region_id}
        changes = diff(before, after)
        if not changes:
            return user
        user.full_clean(exclude=["password"])
        user.save(update_fields=["name", "region"])
        if "name" in changes:
            changes["name"] = ["…", "…"]  # names are personal data: record that it changed
        record(actor=actor, action="user.update", target=user, region=user.region, changes=changes)
    return user


def user_disable(*, actor: User, user: User, reason: str) -> User:
    authorize(actor, Perm.MANAGE_USER, obj=user)
    if user.pk == actor.pk:
        raise Forbidden(_("You cannot disable your own account."), code="self_action")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give a reason."), code="required", field="reason")
    with transaction.atomic():
        _set_active(user, False, reason[:200])
        record(
            actor=actor,
            action="user.disable",
            target=user,
            region=user.region,
            changes={"is_active": [True, False]},
            reason=reason,
        )
    return user


def user_enable(*, actor: User, user: User) -> User:
    authorize(actor, Perm.MANAGE_USER, obj=user)
    with transaction.atomic():
        _set_active(user, True, "")
        record(
            actor=actor,
            action="user.enable",
            target=user,
            region=user.region,
            changes={"is_active": [False, True]},
        )
    return user


def _set_active(user: User, active: bool, reason: str) -> None:
    User.objects.unscoped(reason="state change").filter(pk=user.pk).update(
        is_active=active, disabled_reason=reason
    )
    user.is_active, user.disabled_reason = active, reason
    if not active:
        end_sessions(user)


def end_sessions(user: User) -> int:
    """Delete every server-side session of the user (R8, R12)."""
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    return UserSession.objects.filter(user=user).delete()[0]


def disable_idle_staff(*, now=None) -> list[int]:
    """Disable staff accounts idle for ``STAFF_DISABLE_AFTER_DAYS`` (R8). Run daily."""
    from datetime import timedelta

    from .roles import STAFF_ROLES

    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.STAFF_DISABLE_AFTER_DAYS)
    staff_ids = (
        RoleAssignment.objects.unscoped(reason="idle staff job")
        .filter(role__in=sorted(STAFF_ROLES))
        .values_list("user_id", flat=True)
    )
    idle = (
        User.objects.unscoped(reason="idle staff job")
        .filter(pk__in=staff_ids, is_active=True, date_joined__lt=cutoff)
        .exclude(last_login__gte=cutoff)
    )
    disabled = []
    for user in idle:
        with transaction.atomic():
            _set_active(user, False, "idle")
            record(
                actor=None,
                action="user.disable_idle",
                target=user,
                region=user.region,
                changes={"is_active": [True, False]},
                reason=f"no login for {settings.STAFF_DISABLE_AFTER_DAYS} days",
            )
        disabled.append(user.pk)
    return disabled


# --- activation and passwords ------------------------------------------------------------------
def activation_issue(*, actor: User, user: User) -> str:
    """A one-time link path for the person to set their own password. Resets the current one."""
    authorize(actor, Perm.MANAGE_USER, obj=user)
    if user.pk == actor.pk:
        raise Forbidden(_("Change your own password on your account page."), code="self_action")
    with transaction.atomic():
        user.set_unusable_password()
        user.save(update_fields=["password", "password_changed_at"])
        end_sessions(user)
        record(actor=actor, action="user.activation_issue", target=user, region=user.region)
    return activation_path(user)


def activation_path(user: User) -> str:
    from django.urls import reverse

    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return reverse("accounts:activate", args=[uid, token])


def user_activate(*, user: User, token: str, password: str) -> User:
    if not default_token_generator.check_token(user, token):
        raise DomainError(_("This link has expired or was already used."), code="invalid_token")
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise _validation_to_domain(exc, "password") from None
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password", "password_changed_at"])
        record(actor=user, action="user.activate", target=user, region=user.region)
    return user


def password_change(*, user: User, old_password: str, new_password: str) -> User:
    if not user.check_password(old_password):
        raise DomainError(
            _("The current password is wrong."), code="wrong_password", field="old_password"
        )
    if old_password == new_password:
        raise DomainError(
            _("Choose a password different from the current one."),
            code="password_unchanged",
            field="new_password",
        )
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise _validation_to_domain(exc, "new_password") from None
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password", "password_changed_at"])
        record(actor=user, action="user.password_change", target=user, region=user.region)
    return user


def operator_user_create(
    *, phone: str, name: str, role: str, region: Region, password: str | None = None
) -> User:
    """An account made by an operator at the command line (``create_user``, ``create_sysadmin``):
    no actor in the system yet, so no scope check; audited as the command. Without a password the
    account gets an activation link; with one (the first system administrator), the password must
    pass the policy (R8, R9)."""
    phone = clean_phone(phone)
    name = clean_name(name)
    _check_role_region(role, region)
    with transaction.atomic():
        if _phone_taken(phone):
            raise Conflict(
                _("An account with this mobile number already exists."),
                code="phone_taken",
                field="phone",
            )
        user = User(phone=phone, name=name, region=region)
        # The intended role decides the password policy (staff need longer passwords).
        user._wb_grants = [RoleAssignment(role=role, region=region)]
        if password is None:
            user.set_unusable_password()
            user.password_changed_at = None
        else:
            try:
                validate_password(password, user)
            except ValidationError as exc:
                raise _validation_to_domain(exc, "password") from None
            user.set_password(password)
        user.save()
        RoleAssignment.objects.create(user=user, role=role, region=region)
        user.forget_grants()
        record(
            actor=None,
            action="user.create_cli",
            target=user,
            region=region,
            changes={"role": [None, f"{role}@{region.code}"]},
        )
    return user


# --- roles --------------------------------------------------------------------------------------
def role_grant(*, actor: User, user: User, role: str, region: Region) -> RoleAssignment:
    authorize(actor, Perm.GRANT_ROLE, obj=user)
    with transaction.atomic():
        return _grant(actor=actor, user=user, role=role, region=region)


def _grant(*, actor: User, user: User, role: str, region: Region) -> RoleAssignment:
    authorize(actor, Perm.GRANT_ROLE, region=region)
    _check_role_region(role, region)
    if user.pk == actor.pk:
        raise Forbidden(_("You cannot change your own roles."), code="self_action")
    if not _can_grant(actor, role, region):
        raise Forbidden(
            _("You cannot grant this role."),
            code="role_not_grantable",
        )
    # Lock the user's grants so two concurrent grants cannot break separation of duties.
    User.objects.unscoped(reason="lock for grant").select_for_update().filter(pk=user.pk).first()
    existing = set(
        RoleAssignment.objects.unscoped(reason="separation check")
        .filter(user=user)
        .values_list("role", flat=True)
    )
    if existing and (role in SEPARATED_ROLES or existing & SEPARATED_ROLES):
        raise Conflict(
            _(
                "Auditor, security administrator and system administrator cannot be combined "
                "with any other role on one account."
            ),
            code="separation_of_duties",
            field="role",
        )
    try:
        with transaction.atomic():
            grant = RoleAssignment.objects.create(
                user=user, role=role, region=region, granted_by=actor
            )
    except IntegrityError:
        raise Conflict(
            _("This role is already granted."), code="duplicate_grant", field="role"
        ) from None
    user.forget_grants()
    record(
        actor=actor,
        action="role.grant",
        target=user,
        region=region,
        changes={"role": [None, f"{role}@{region.code}"]},
    )
    return grant


def role_revoke(*, actor: User, grant: RoleAssignment) -> None:
    user = grant.user
    authorize(actor, Perm.GRANT_ROLE, obj=user)
    authorize(actor, Perm.GRANT_ROLE, region=grant.region)
    if user.pk == actor.pk:
        raise Forbidden(_("You cannot change your own roles."), code="self_action")
    if not _can_grant(actor, grant.role, grant.region):
        raise Forbidden(_("You cannot revoke this role."), code="role_not_grantable")
    with transaction.atomic():
        RoleAssignment.objects.unscoped(reason="revoke").filter(pk=grant.pk).delete()
        user.forget_grants()
        record(
            actor=actor,
            action="role.revoke",
            target=user,
            region=grant.region,
            changes={"role": [f"{grant.role}@{grant.region_id}", None]},
        )


def user_unlock(*, actor: User, user: User) -> int:
    """Lift a login lock (R10)."""
    from axes.utils import reset

    authorize(actor, Perm.UNLOCK_USER, obj=user)
    with transaction.atomic():
        count = reset(username=user.phone)
        record(actor=actor, action="user.unlock", target=user, region=user.region)
    return count


# --- login --------------------------------------------------------------------------------------
class LoginFailed(DomainError):
    status = 200
    default_code = "login_failed"


class LoginLocked(RateLimited):
    default_code = "login_locked"


def login_attempt(*, request, phone: str, password: str) -> User:
    """Check credentials. Unknown and known numbers fail the same way (R10); every attempt is
    audited; the account locks after ``LOGIN_FAILURE_LIMIT`` failures, the IP after more."""
    from axes.handlers.proxy import AxesProxyHandler

    ip = getattr(request, "client_ip", "")
    key = canonical_phone(phone)
    known = User.objects.unscoped(reason="login audit").filter(phone=key).first()
    target = known if known else ("phone", mask_phone(key))
    region = known.region if known else None
    if (
        ratelimit.peek("login-fail-ip", ip, window=LOGIN_WINDOW_SECONDS)
        >= settings.LOGIN_IP_FAILURE_LIMIT
    ):
        with transaction.atomic():
            record(
                actor=None,
                action="auth.login_locked",
                target=target,
                region=region,
                result=Result.DENIED,
                reason="ip throttle",
            )
        raise LoginLocked(_("Too many attempts. Try again in 15 minutes."))
    was_locked = AxesProxyHandler.is_locked(request, {"phone": key})
    user = authenticate(request, phone=key, password=password or "")
    if user is None:
        ratelimit.hit("login-fail-ip", ip, limit=10**9, window=LOGIN_WINDOW_SECONDS)
    if was_locked:
        with transaction.atomic():
            record(
                actor=None,
                action="auth.login_locked",
                target=target,
                region=region,
                result=Result.DENIED,
            )
        raise LoginLocked(_("Too many attempts. Try again in 15 minutes."))
    if user is None:
        with transaction.atomic():
            record(
                actor=None,
                action="auth.login_failed",
                target=target,
                region=region,
                result=Result.FAILED,
            )
            if getattr(request, "axes_locked_out", False):
                record(
                    actor=None,
                    action="auth.lockout",
                    target=target,
                    region=region,
                    result=Result.DENIED,
                )
        if getattr(request, "axes_locked_out", False):
            raise LoginLocked(_("Too many attempts. Try again in 15 minutes."))
        raise LoginFailed(_("The mobile number or password is wrong."))
    return user


def login_record(*, request, user: User) -> None:
    """After ``django.contrib.auth.login``: remember the session and audit the login."""
    now = timezone.now().timestamp()
    request.session["_wb_login_at"] = now
    request.session["_wb_auth_at"] = now
    request.session["_wb_last_seen"] = now
    request.session.save()
    with transaction.atomic():
        UserSession.objects.get_or_create(
            session_key=request.session.session_key, defaults={"user": user}
        )
        record(actor=user, action="auth.login", target=user, region=user.region)


def logout_record(*, request, user: User) -> None:
    with transaction.atomic():
        UserSession.objects.filter(session_key=request.session.session_key).delete()
        record(actor=user, action="auth.logout", target=user, region=user.region)


def reauthenticate(*, request, user: User, password: str) -> None:
    """Step-up (R13): confirm the password again before a sensitive action."""
    ratelimit.hit("reauth", str(user.pk), limit=10, window=LOGIN_WINDOW_SECONDS)
    if not user.check_password(password or ""):
        with transaction.atomic():
            record(
                actor=user,
                action="auth.reauth_failed",
                target=user,
                region=user.region,
                result=Result.FAILED,
            )
        raise DomainError(_("The password is wrong."), code="wrong_password", field="password")
    request.session["_wb_auth_at"] = timezone.now().timestamp()
    with transaction.atomic():
        record(actor=user, action="auth.reauth", target=user, region=user.region)


def require_recent_auth(request) -> None:
    at = request.session.get("_wb_auth_at", 0)
    if timezone.now().timestamp() - at > settings.REAUTH_MAX_AGE_SECONDS:
        raise Forbidden(_("Confirm your password to continue."), code="reauth_required")


# --- MFA -------------------------------------------------------------------------------------
def mfa_required(user: User) -> bool:
    if not user.is_authenticated:
        return False
    if settings.STAFF_MFA == "required" and user.is_staff_member:
        return True
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def mfa_enrol_start(*, user: User) -> TOTPDevice:
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="totp", confirmed=False)


def mfa_enrol_confirm(*, request, user: User, token: str) -> list[str]:
    """Confirm the authenticator with a first code; return fresh one-time recovery codes, which
    are stored only as keyed hashes (R11)."""
    from django_otp import login as otp_login

    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        raise NotFound(_("Start enrolment first."))
    if not device.verify_token((token or "").strip()):
        raise DomainError(_("The code is wrong or expired."), code="invalid_code", field="token")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=True).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _new_recovery_codes(user)
        record(actor=user, action="mfa.enrol", target=user, region=user.region)
    otp_login(request, device)
    return codes


def _new_recovery_codes(user: User) -> list[str]:
    RecoveryCodeDevice.objects.filter(user=user).delete()
    device, codes = RecoveryCodeDevice.issue(user)
    return codes


def mfa_verify(*, request, user: User, token: str) -> None:
    from django_otp import login as otp_login
    from django_otp import match_token

    ratelimit.hit("mfa", str(user.pk), limit=10, window=LOGIN_WINDOW_SECONDS)
    device = match_token(user, (token or "").strip())
    if device is None:
        with transaction.atomic():
            record(
                actor=user,
                action="mfa.failed",
                target=user,
                region=user.region,
                result=Result.FAILED,
            )
        raise DomainError(_("The code is wrong or expired."), code="invalid_code", field="token")
    otp_login(request, device)
    request.session["_wb_auth_at"] = timezone.now().timestamp()
    with transaction.atomic():
        record(
            actor=user,
            action="mfa.verify",
            target=user,
            region=user.region,
            changes={"device": [None, device.persistent_id.split("/")[0]]},
        )


def mfa_reset(*, actor: User, user: User, reason: str) -> None:
    """A security administrator removes a lost authenticator; the user enrols again."""
    authorize(actor, Perm.UNLOCK_USER, obj=user)
    if user.pk == actor.pk:
        raise Forbidden(
            _("Ask another administrator to reset your authenticator."), code="self_action"
        )
    if not (reason or "").strip():
        raise DomainError(_("Give a reason."), code="required", field="reason")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        RecoveryCodeDevice.objects.filter(user=user).delete()
        end_sessions(user)
        record(actor=actor, action="mfa.reset", target=user, region=user.region, reason=reason)


def visible_grant_regions(actor: User, perm: str) -> list[Region]:
    paths = grant_paths(actor, perm)
    return list(Region.objects.filter(path__in=paths))
