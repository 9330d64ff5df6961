"""The navigation bar, by role."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .roles import Perm


def navigation_for(user) -> list[tuple[str, str]]:
    items = [(_("Home"), reverse("core:home")), (_("Find a station"), reverse("stations:finder"))]
    if not user.is_authenticated:
        return items
    if user.holds(Perm.HOST_STATION):
        items.append((_("My stations"), reverse("stations:host_home")))
    if user.holds(Perm.VIEW_STATION):
        items.append((_("Station network"), reverse("stations:console_list")))
    if user.holds(Perm.VIEW_GRID):
        items.append((_("Grid areas"), reverse("regions:console_grids")))
    if user.holds(Perm.VIEW_WORKER):
        items.append((_("Workers"), reverse("workers:console_list")))
    if user.holds(Perm.VIEW_PARTY):
        items.append((_("Party ledgers"), reverse("workers:console_party")))
    if user.holds(Perm.VIEW_ORG):
        items.append((_("Organisations"), reverse("orgs:console_org_list")))
    if user.holds(Perm.HANDLE_DATA_REQUEST):
        items.append((_("Data requests"), reverse("privacy:console_requests")))
    if user.holds(Perm.EXPORT_PI) or user.holds(Perm.APPROVE_EXPORT):
        items.append((_("Exports"), reverse("privacy:console_exports")))
    # --- civic ---
    items.append((_("Snap and report"), reverse("civic:report")))
    if user.holds(Perm.VIEW_REPORT):
        items.append((_("Reports"), reverse("civic:console_queue")))

    # --- points ---
    if user.holds(Perm.USE_POINTS):
        items.append((_("My points"), reverse("points:me_points")))
    if user.holds(Perm.VIEW_POINTS):
        items.append((_("Points"), reverse("points:console_points")))

    # --- casework ---
    if user.holds(Perm.ASK_HELP):
        items.append((_("Ask for help"), reverse("casework:my_list")))
    if user.holds(Perm.HANDLE_CASE):
        items.append((_("My cases"), reverse("casework:queue")))
    elif user.holds(Perm.LOG_HELP_REQUEST):
        items.append((_("Log a help request"), reverse("casework:log")))
    if user.holds(Perm.VIEW_CASE_FIGURES):
        items.append((_("Casework"), reverse("casework:figures")))

    # --- aid ---
    if user.holds(Perm.VIEW_APPLICATION):
        items.append((_("Aid"), reverse("aid:console_programmes")))
    elif user.holds(Perm.CHECK_IN):
        items.append((_("Aid"), reverse("aid:me_programmes")))

    items.append(_inbox_item(user))
    if user.holds(Perm.CHECK_IN):
        items.append((_("My data"), reverse("workers:me_data")))
    if user.holds(Perm.VIEW_USER):
        items.append((_("Accounts"), reverse("accounts:console_users")))
    if user.holds(Perm.VIEW_AUDIT):
        items.append((_("Audit log"), reverse("audit:console_events")))
    if user.holds(Perm.ADMIN_SITE):
        items.append((_("System admin"), reverse("admin:index")))
    items.append((_("My account"), reverse("accounts:me")))
    return items


def _inbox_item(user) -> tuple[str, str]:
    """ "Inbox", with the unread count: one COUNT on the inbox index per page."""
    from warmbee.notify.selectors import unread_count

    unread = unread_count(user)
    if unread:
        label = gettext("Inbox (%(count)s)") % {"count": unread if unread < 100 else "99+"}
    else:
        label = gettext("Inbox")
    return (label, reverse("notify:inbox"))
