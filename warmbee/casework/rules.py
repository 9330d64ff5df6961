"""Casework rules that are data, not code paths: the life cycle, the crisis list, hotlines,
deadlines and the sharing notice (ADR 0015)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from warmbee.core.deadlines import due_after

from .models import CrisisCategory, Status, Urgency

# --- the life cycle --------------------------------------------------------------------------------
# (status, action) → new status. Anything else is a 409 ``transition``.
TRANSITIONS: dict[tuple[str, str], str] = {
    (Status.NEW, "assign"): Status.ASSIGNED,
    (Status.ASSIGNED, "assign"): Status.ASSIGNED,
    (Status.IN_PROGRESS, "assign"): Status.IN_PROGRESS,
    (Status.ASSIGNED, "respond"): Status.IN_PROGRESS,
    (Status.IN_PROGRESS, "respond"): Status.IN_PROGRESS,
    (Status.ASSIGNED, "close"): Status.CLOSED,
    (Status.IN_PROGRESS, "close"): Status.CLOSED,
    (Status.ASSIGNED, "refer"): Status.CLOSED,
    (Status.IN_PROGRESS, "refer"): Status.CLOSED,
    (Status.NEW, "withdraw"): Status.CLOSED,
    (Status.ASSIGNED, "withdraw"): Status.CLOSED,
    (Status.IN_PROGRESS, "withdraw"): Status.CLOSED,
    (Status.CLOSED, "reopen"): Status.IN_PROGRESS,  # NEW when nobody handles it
}


def allowed(status: str, action: str) -> bool:
    return (status, action) in TRANSITIONS


# --- crisis words ----------------------------------------------------------------------------------
_STRIP = re.compile(r"[\s\W_]+", re.UNICODE)


def normalise(text: str) -> str:
    """NFKC (full-width → half-width), case-folded, without spaces and punctuation: "想 死！"
    and "想死" match the same term, "Kill Myself" matches "kill myself"."""
    return _STRIP.sub("", unicodedata.normalize("NFKC", text or "").casefold())


# The hotlines shown to a worker at once when a crisis word is found (the category decides).
HOTLINES = {
    "12356": _("Psychological assistance hotline"),
    "12355": _("Youth League hotline (young people and children)"),
    "12351": _("Union rights hotline"),
    "110": _("Police"),
    "120": _("Ambulance"),
}
HOTLINES_BY_CATEGORY = {
    CrisisCategory.SELF_HARM: ("12356", "120", "110"),
    CrisisCategory.VIOLENCE: ("110", "120"),
    CrisisCategory.CHILD: ("110", "12355"),
    CrisisCategory.OTHER: ("110", "120", "12351"),
}


def hotlines_for(categories) -> list[tuple[str, str]]:
    numbers: list[str] = []
    for category in categories:
        for number in HOTLINES_BY_CATEGORY.get(category, ()):
            if number not in numbers:
                numbers.append(number)
    return [(n, HOTLINES[n]) for n in numbers]


# The initial list (the data migration loads it; the system administrator maintains it).
SEED_TERMS = {
    CrisisCategory.SELF_HARM: {
        "zh": ["自杀", "轻生", "不想活", "想死", "活不下去", "跳楼", "割腕", "寻死", "了结自己"],
        "en": ["suicide", "kill myself", "end my life", "self harm", "want to die"],
    },
    CrisisCategory.VIOLENCE: {
        "zh": ["打人", "被打", "殴打", "家暴", "威胁要杀", "砍人", "动刀"],
        "en": ["beaten", "assaulted", "domestic violence", "threatened to kill"],
    },
    CrisisCategory.CHILD: {
        "zh": ["孩子被打", "虐待孩子", "孩子失踪", "孩子走失", "性侵"],
        "en": ["child abuse", "child missing", "abused child"],
    },
}


# --- deadlines -------------------------------------------------------------------------------------
def deadlines(desk: str, urgency: str, start: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """(first response due, resolution due) for a request at ``desk`` made at ``start``."""
    override = settings.CASEWORK_DESK_DEADLINES.get(desk, {})
    if urgency == Urgency.URGENT:
        hours = override.get("urgent_response_hours", settings.CASEWORK_URGENT_RESPONSE_HOURS)
    else:
        hours = override.get("response_hours", settings.CASEWORK_RESPONSE_HOURS)
    days = override.get("resolution_days", settings.CASEWORK_RESOLUTION_DAYS)
    return due_after(start, hours=hours), due_after(start, hours=24 * days)


# --- the sharing notice (R25) ----------------------------------------------------------------------
# A new text needs a new version: consents record the version and the text's hash.
SHARING_NOTICE_VERSION = 1
SHARING_NOTICE = (
    "我同意将本次求助的内容提供给受理的五师一室服务专员及其主管，仅用于处理本次求助；"
    "转介到其他机构前会再次征得我的同意。I agree that the provider handling this request and "
    "their supervisor may read it, only to handle it; before it is passed to another service I "
    "will be asked again."
)
SHARING_NOTICE_SHA256 = hashlib.sha256(SHARING_NOTICE.encode()).hexdigest()
