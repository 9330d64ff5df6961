"""One-time codes by SMS (R14): 6 digits, ≤ 5 minutes, ≤ 5 guesses, bound to the browser
session that asked for it, and sending limited per number, per IP address and overall.

The answer never says whether the number is registered: a code is sent either way (the
registration and login pages decide what a correct code leads to).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from warmbee.core import ratelimit
from warmbee.core.errors import DomainError

from .models import OneTimeCode
from .sms import send_sms

SESSION_KEY = "_wb_otp_nonce"


def _hash(code: str, nonce: str) -> str:
    key = (settings.SECRET_KEY + ":otp").encode()
    return hmac.new(key, f"{nonce}:{code}".encode(), hashlib.sha256).hexdigest()


def session_nonce(request) -> str:
    nonce = request.session.get(SESSION_KEY)
    if not nonce:
        nonce = secrets.token_urlsafe(24)
        request.session[SESSION_KEY] = nonce
    return nonce


def code_send(*, request, phone: str, purpose: str, ip: str) -> None:
    ratelimit.hit("otp_phone_minute", phone, limit=1, window=60, fail_closed=True)
    ratelimit.hit(
        "otp_phone_day", phone, limit=settings.OTP_PER_PHONE_DAY, window=86400, fail_closed=True
    )
    ratelimit.hit(
        "otp_ip_hour", ip or "-", limit=settings.OTP_PER_IP_HOUR, window=3600, fail_closed=True
    )
    ratelimit.hit(
        "otp_global_minute",
        "all",
        limit=settings.OTP_GLOBAL_PER_MINUTE,
        window=60,
        fail_closed=True,
    )
    code = f"{secrets.randbelow(10**6):06d}"
    nonce = session_nonce(request)
    now = timezone.now()
    with transaction.atomic():
        OneTimeCode.objects.filter(phone=phone, purpose=purpose, used_at=None).update(used_at=now)
        OneTimeCode.objects.create(
            phone=phone,
            purpose=purpose,
            code_hash=_hash(code, nonce),
            nonce=_hash("", nonce),
            expires_at=now + dt.timedelta(seconds=settings.OTP_TTL_SECONDS),
        )
        send_sms(phone, f"otp_{purpose}", {"code": code})


def code_check(*, request, phone: str, purpose: str, code: str) -> None:
    """Consume the code or raise ``DomainError`` on the ``code`` field."""
    wrong = DomainError(
        _("The code is wrong or has expired. Ask for a new one."), code="bad_code", field="code"
    )
    nonce = request.session.get(SESSION_KEY) or ""
    now = timezone.now()
    with transaction.atomic():
        otp = (
            OneTimeCode.objects.select_for_update()
            .filter(phone=phone, purpose=purpose, used_at=None, nonce=_hash("", nonce))
            .order_by("-created_at")
            .first()
        )
        if otp is None or otp.expires_at <= now or otp.attempts >= settings.OTP_MAX_ATTEMPTS:
            ok = False
        else:
            # The guess counts whether it is right or not, and is saved before we answer.
            otp.attempts += 1
            ok = hmac.compare_digest(otp.code_hash, _hash((code or "").strip(), nonce))
            if ok:
                otp.used_at = now
            otp.save(update_fields=["attempts", "used_at"])
    if not ok:
        raise wrong
