"""Accounts: users log in by mobile number; what they may do comes from role grants on regions."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device

from warmbee.core.pi import Inventory, mask_name, mask_phone

from .roles import ROLE_PERMS, SEPARATED_ROLES, STAFF_ROLES, Perm, Role
from .scoping import ScopedManager, ScopedQuerySet


class UserQuerySet(ScopedQuerySet):
    pass


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def get_by_natural_key(self, phone):
        return self.unscoped(reason="authentication").get(phone=phone)

    def create_user(self, phone, password=None, **extra):
        """Low-level creation, used by services only. Never with a known password (R8)."""
        user = self.model(phone=phone, **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, *args, **kwargs):
        raise NotImplementedError("Use `manage.py create_sysadmin`: WarmBee has no superusers.")


class User(AbstractBaseUser):
    phone = models.CharField(
        _("mobile number"),
        max_length=20,
        unique=True,
        help_text=_("Mainland mobile number, used to log in."),
    )
    name = models.CharField(_("name"), max_length=64)
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)
    password_changed_at = models.DateTimeField(_("password changed"), null=True, blank=True)
    disabled_reason = models.CharField(_("reason disabled"), max_length=200, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "phone"
    REQUIRED_FIELDS = ["name"]

    data_inventory = Inventory(
        retention="account",
        general="id name region is_active date_joined last_login password_changed_at "
        "disabled_reason",
        contact="phone",
        credential="password",
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        default_permissions = ()

    def __str__(self) -> str:
        return f"{mask_name(self.name)} ({mask_phone(self.phone)})"

    def audit_label(self) -> str:
        return f"{mask_name(self.name)} {mask_phone(self.phone)}"

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    def set_password(self, raw_password):
        super().set_password(raw_password)
        self.password_changed_at = timezone.now()

    # --- grants -------------------------------------------------------------------------------
    def active_grants(self) -> list[RoleAssignment]:
        cached = getattr(self, "_wb_grants", None)
        if cached is None:
            if self.pk is None:
                return []
            cached = list(
                RoleAssignment.objects.unscoped(reason="the user's own grants")
                .filter(user_id=self.pk)
                .select_related("region")
            )
            self._wb_grants = cached
        return cached

    def forget_grants(self) -> None:
        self.__dict__.pop("_wb_grants", None)

    @property
    def roles(self) -> set[str]:
        return {g.role for g in self.active_grants()}

    @property
    def is_staff_member(self) -> bool:
        """Works on other people's data: MFA and the idle timeout apply."""
        return bool(self.roles & STAFF_ROLES)

    # Django admin integration: only system administrators, only reference-data apps.
    @property
    def is_staff(self) -> bool:
        return self.is_active and Role.SYSTEM_ADMIN in self.roles

    @property
    def is_superuser(self) -> bool:
        return False

    def has_perm(self, perm, obj=None) -> bool:
        from django.conf import settings

        if not self.is_staff:
            return False
        app_label = perm.split(".", 1)[0]
        return app_label in getattr(settings, "ADMIN_APPS", ())

    def has_perms(self, perm_list, obj=None) -> bool:
        return all(self.has_perm(p, obj) for p in perm_list)

    def has_module_perms(self, app_label) -> bool:
        from django.conf import settings

        return self.is_staff and app_label in getattr(settings, "ADMIN_APPS", ())

    def holds(self, perm: str) -> bool:
        return any(perm in ROLE_PERMS.get(g.role, ()) for g in self.active_grants())

    @property
    def can_use_console(self) -> bool:
        return self.holds(Perm.CONSOLE)


class RoleAssignment(models.Model):
    """A role granted on a region: covers that region and everything below it."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="grants"
    )
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    granted_by = models.ForeignKey(
        User,
        verbose_name=_("granted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    granted_at = models.DateTimeField(_("granted"), default=timezone.now)

    objects = ScopedManager()

    data_inventory = Inventory(
        retention="account", general="id user role region granted_by granted_at"
    )

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "region"], name="grant_unique"),
            # 三权分立 (R6): at most one grant of the separated roles per account. The service
            # also refuses to mix them with any other role.
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(role__in=sorted(SEPARATED_ROLES)),
                name="grant_one_separated_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} @ {self.region}"


class UserSession(models.Model):
    """Which sessions belong to whom, so disabling an account ends all of them (R8)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sessions")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    data_inventory = Inventory(retention="session", general="id user session_key created_at")

    class Meta:
        default_permissions = ()

    def __str__(self) -> str:
        return f"session of user {self.user_id}"


class RecoveryCodeDevice(Device):
    """One-time MFA recovery codes, stored only as keyed hashes (R11)."""

    code_hashes = models.JSONField(default=list)

    data_inventory = Inventory(
        retention="account",
        general="id user name confirmed",
        credential="code_hashes",
    )

    class Meta:
        default_permissions = ()

    @staticmethod
    def _hash(code: str) -> str:
        from django.conf import settings

        key = (settings.SECRET_KEY + ":recovery").encode()
        return hmac.new(key, code.strip().lower().encode(), hashlib.sha256).hexdigest()

    @classmethod
    def issue(cls, user: User, count: int = 10) -> tuple[RecoveryCodeDevice, list[str]]:
        codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(count)]
        device = cls.objects.create(
            user=user, name="recovery", confirmed=True, code_hashes=[cls._hash(c) for c in codes]
        )
        return device, codes

    def verify_token(self, token) -> bool:
        digest = self._hash(str(token))
        remaining = [h for h in self.code_hashes if not hmac.compare_digest(h, digest)]
        if len(remaining) == len(self.code_hashes):
            return False
        self.code_hashes = remaining
        self.save(update_fields=["code_hashes"])
        return True
