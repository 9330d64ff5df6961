"""Roles and what each may do. One table; scope comes from where a role is granted."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from warmbee.regions.models import Level


class Role(models.TextChoices):
    WORKER = "worker", _("Worker")
    STATION_HOST = "station_host", _("Station host")
    PROVIDER = "provider", _("Service provider")
    COMMUNITY_OFFICER = "community_officer", _("Community officer")
    DISTRICT_OFFICER = "district_officer", _("District officer")
    CITY_OFFICER = "city_officer", _("City officer")
    PROVINCE_OFFICER = "province_officer", _("Province officer")
    # Keeps the three party ledgers (members, organisations, applicants) of a region; nobody
    # else sees them (issue: registry).
    PARTY_OFFICER = "party_officer", _("Party organisation officer")
    AUDITOR = "auditor", _("Auditor")
    SECURITY_ADMIN = "security_admin", _("Security administrator")
    SYSTEM_ADMIN = "system_admin", _("System administrator")


# 三权分立 (R6): an account holding one of these holds no other role at all.
SEPARATED_ROLES = frozenset({Role.AUDITOR, Role.SECURITY_ADMIN, Role.SYSTEM_ADMIN})
OFFICER_ROLES = frozenset(
    {Role.COMMUNITY_OFFICER, Role.DISTRICT_OFFICER, Role.CITY_OFFICER, Role.PROVINCE_OFFICER}
)
# Staff: everyone who works on other people's data; MFA applies to them (R11).
STAFF_ROLES = OFFICER_ROLES | SEPARATED_ROLES | {Role.PROVIDER, Role.PARTY_OFFICER}

# Where each role may be granted.
ROLE_LEVELS: dict[str, frozenset[str]] = {
    Role.WORKER: frozenset({Level.COUNTY, Level.TOWNSHIP, Level.COMMUNITY, Level.PREFECTURE}),
    Role.STATION_HOST: frozenset({Level.COUNTY, Level.TOWNSHIP, Level.COMMUNITY}),
    Role.PROVIDER: frozenset({Level.PREFECTURE, Level.COUNTY, Level.TOWNSHIP}),
    Role.COMMUNITY_OFFICER: frozenset({Level.TOWNSHIP, Level.COMMUNITY}),
    Role.DISTRICT_OFFICER: frozenset({Level.COUNTY}),
    # Municipalities (Beijing, Shanghai …) are province-level cities.
    Role.CITY_OFFICER: frozenset({Level.PREFECTURE, Level.PROVINCE}),
    Role.PROVINCE_OFFICER: frozenset({Level.PROVINCE}),
    Role.PARTY_OFFICER: frozenset({Level.PROVINCE, Level.PREFECTURE, Level.COUNTY}),
    Role.AUDITOR: frozenset(Level.values),
    Role.SECURITY_ADMIN: frozenset(Level.values),
    Role.SYSTEM_ADMIN: frozenset(Level.values),
}


class Perm:
    """Permission names. Granted through roles only; checked by ``scoping``."""

    VIEW_USER = "accounts.view_user"
    MANAGE_USER = "accounts.manage_user"
    GRANT_ROLE = "accounts.grant_role"
    UNLOCK_USER = "accounts.unlock_user"
    VIEW_AUDIT = "audit.view_event"
    ADMIN_SITE = "core.admin_site"
    CONSOLE = "core.console"
    VIEW_STATION = "stations.view_station"
    MANAGE_STATION = "stations.manage_station"
    HOST_STATION = "stations.host_station"  # only at stations the user hosts
    CHECK_IN = "stations.check_in"
    # Registry: organisations and outlets.
    VIEW_ORG = "orgs.view_org"
    MANAGE_ORG = "orgs.manage_org"
    # Registry: workers and their records (union, insurance, certificates, honours).
    VIEW_WORKER = "workers.view_worker"
    MANAGE_WORKER = "workers.manage_worker"
    # See a full ID number or mobile number: with a reason, step-up and an audit row (R23).
    REVEAL_PI = "workers.reveal_pi"
    # Export personal data; a second holder of APPROVE_EXPORT must approve it (R29).
    EXPORT_PI = "workers.export_pi"
    APPROVE_EXPORT = "workers.approve_export"
    # Answer workers' correction and deletion requests (R27).
    HANDLE_DATA_REQUEST = "workers.handle_data_request"
    # The party ledgers: only party-organisation officers.
    VIEW_PARTY = "workers.view_party"
    MANAGE_PARTY = "workers.manage_party"
    # Coverage figures (counts only, no personal data).
    VIEW_COVERAGE = "workers.view_coverage"

    # --- civic (snap-and-report) -------------------------------------------------------------
    # grid areas
    VIEW_GRID = "civic.view_grid"
    MANAGE_GRID = "civic.manage_grid"

    # reports
    VIEW_REPORT = "civic.view_report"
    HANDLE_REPORT = "civic.handle_report"
    # Routing table, response templates and Open311 API keys.
    MANAGE_CIVIC = "civic.manage_civic"

    # --- points ------------------------------------------------------------------------------
    # A worker's own points: balance, history, personal code, confirming a redemption.
    USE_POINTS = "points.use_points"
    # Points figures, workers' ledgers and the catalogues of stations in scope.
    VIEW_POINTS = "points.view_points"
    # Propose a manual adjustment, reverse an entry, keep station catalogues.
    ADJUST_POINTS = "points.adjust_points"
    # Approve another officer's adjustment above the threshold (never one's own, R7).
    APPROVE_ADJUSTMENT = "points.approve_adjustment"

    # --- casework ----------------------------------------------------------------------------
    # A worker asks for help for themself and follows their own requests.
    ASK_HELP = "casework.ask_help"
    # Log a request on a worker's behalf (hotline operators and desk staff; station hosts for
    # their visitors).
    LOG_HELP_REQUEST = "casework.log_request"
    # Handle cases: which cases comes from desk membership (casework.DeskMember), not the grant.
    HANDLE_CASE = "casework.handle_case"
    # Officers: that cases exist, their desk, status and times, and the figures — never contents.
    VIEW_CASE_FIGURES = "casework.view_figures"
    # Officers: who staffs the desks of their region (desk members, supervisors).
    MANAGE_DESK = "casework.manage_desk"

    # --- aid ---------------------------------------------------------------------------------
    # Aid programmes: run a programme (budget, rules, review steps), see applications (masked),
    # enter one on a worker's behalf, take a review step, pay out, read the figures. Who may act
    # on one application is narrowed further by maker-checker (aid/services.py, R7).
    MANAGE_PROGRAMME = "aid.manage_programme"
    VIEW_APPLICATION = "aid.view_application"
    ENTER_APPLICATION = "aid.enter_application"
    REVIEW_APPLICATION = "aid.review_application"
    DISBURSE = "aid.disburse"
    VIEW_AID_FIGURES = "aid.view_figures"


_OFFICER = {
    Perm.VIEW_USER,
    Perm.MANAGE_USER,
    Perm.GRANT_ROLE,
    Perm.UNLOCK_USER,
    Perm.CONSOLE,
    Perm.VIEW_STATION,
    Perm.MANAGE_STATION,
    Perm.VIEW_ORG,
    Perm.MANAGE_ORG,
    Perm.VIEW_WORKER,
    Perm.MANAGE_WORKER,
    Perm.REVEAL_PI,
    Perm.EXPORT_PI,
    Perm.APPROVE_EXPORT,
    Perm.HANDLE_DATA_REQUEST,
    Perm.VIEW_COVERAGE,
}

ROLE_PERMS: dict[str, frozenset[str]] = {
    Role.WORKER: frozenset({Perm.CHECK_IN}),
    Role.STATION_HOST: frozenset({Perm.HOST_STATION}),
    Role.PROVIDER: frozenset(),
    Role.COMMUNITY_OFFICER: frozenset(
        {
            Perm.VIEW_USER,
            Perm.CONSOLE,
            Perm.VIEW_STATION,
            Perm.VIEW_ORG,
            Perm.VIEW_WORKER,
            Perm.VIEW_COVERAGE,
        }
    ),
    Role.DISTRICT_OFFICER: frozenset(_OFFICER),
    Role.CITY_OFFICER: frozenset(_OFFICER),
    Role.PROVINCE_OFFICER: frozenset(_OFFICER),
    # Party ledgers only, plus the organisations and workers they are kept about (masked).
    Role.PARTY_OFFICER: frozenset(
        {Perm.CONSOLE, Perm.VIEW_PARTY, Perm.MANAGE_PARTY, Perm.VIEW_ORG, Perm.VIEW_WORKER}
    ),
    # The auditor reads and exports the audit log, nothing else.
    Role.AUDITOR: frozenset({Perm.VIEW_AUDIT, Perm.CONSOLE}),
    # The security administrator manages accounts, roles and locks; sees masked data only.
    Role.SECURITY_ADMIN: frozenset(
        {Perm.VIEW_USER, Perm.MANAGE_USER, Perm.GRANT_ROLE, Perm.UNLOCK_USER, Perm.CONSOLE}
    ),
    # The system administrator runs the Django admin over reference data, no business data.
    Role.SYSTEM_ADMIN: frozenset({Perm.ADMIN_SITE}),
}


def _extend(grants: dict[str, set[str]]) -> None:
    """Add an app's permissions to the roles above (each app keeps its grants in one block)."""
    for role, perms in grants.items():
        ROLE_PERMS[role] = ROLE_PERMS[role] | frozenset(perms)


# --- civic (snap-and-report) -----------------------------------------------------------------
# grid areas
_extend(
    {
        Role.COMMUNITY_OFFICER: {Perm.VIEW_GRID},
        Role.DISTRICT_OFFICER: {Perm.VIEW_GRID, Perm.MANAGE_GRID},
        Role.CITY_OFFICER: {Perm.VIEW_GRID, Perm.MANAGE_GRID},
        Role.PROVINCE_OFFICER: {Perm.VIEW_GRID, Perm.MANAGE_GRID},
    }
)

# reports
_extend(
    {
        Role.COMMUNITY_OFFICER: {Perm.VIEW_REPORT, Perm.HANDLE_REPORT},
        Role.DISTRICT_OFFICER: {Perm.VIEW_REPORT, Perm.HANDLE_REPORT, Perm.MANAGE_CIVIC},
        Role.CITY_OFFICER: {Perm.VIEW_REPORT, Perm.MANAGE_CIVIC},
        Role.PROVINCE_OFFICER: {Perm.VIEW_REPORT},
    }
)


# --- points ----------------------------------------------------------------------------------
# Hosts redeem at the stations they host with HOST_STATION (checked per station, like stations).
_POINTS_OFFICER = {Perm.VIEW_POINTS, Perm.ADJUST_POINTS, Perm.APPROVE_ADJUSTMENT}
_extend(
    {
        Role.WORKER: {Perm.USE_POINTS},
        Role.DISTRICT_OFFICER: _POINTS_OFFICER,
        Role.CITY_OFFICER: _POINTS_OFFICER,
        Role.PROVINCE_OFFICER: _POINTS_OFFICER,
    }
)


# --- casework --------------------------------------------------------------------------------
_extend(
    {
        Role.WORKER: {Perm.ASK_HELP},
        Role.STATION_HOST: {Perm.LOG_HELP_REQUEST},
        Role.PROVIDER: {Perm.HANDLE_CASE, Perm.LOG_HELP_REQUEST},
        Role.COMMUNITY_OFFICER: {Perm.VIEW_CASE_FIGURES},
        Role.DISTRICT_OFFICER: {Perm.VIEW_CASE_FIGURES, Perm.MANAGE_DESK},
        Role.CITY_OFFICER: {Perm.VIEW_CASE_FIGURES, Perm.MANAGE_DESK},
        Role.PROVINCE_OFFICER: {Perm.VIEW_CASE_FIGURES, Perm.MANAGE_DESK},
    }
)


# --- aid -------------------------------------------------------------------------------------
_AID_STAFF = {
    Perm.VIEW_APPLICATION,
    Perm.ENTER_APPLICATION,
    Perm.REVIEW_APPLICATION,
    Perm.VIEW_AID_FIGURES,
}
_AID_OFFICER = _AID_STAFF | {Perm.MANAGE_PROGRAMME, Perm.DISBURSE}
_extend(
    {
        # A street or community officer enters applications and takes the first review step.
        Role.COMMUNITY_OFFICER: _AID_STAFF,
        Role.DISTRICT_OFFICER: _AID_OFFICER,
        Role.CITY_OFFICER: _AID_OFFICER,
        Role.PROVINCE_OFFICER: _AID_OFFICER,
    }
)


# Which roles a holder of each role may grant (always within their own scope).
GRANTABLE: dict[str, frozenset[str]] = {
    Role.DISTRICT_OFFICER: frozenset(
        {Role.WORKER, Role.STATION_HOST, Role.PROVIDER, Role.COMMUNITY_OFFICER}
    ),
    Role.CITY_OFFICER: frozenset(
        {
            Role.WORKER,
            Role.STATION_HOST,
            Role.PROVIDER,
            Role.COMMUNITY_OFFICER,
            Role.DISTRICT_OFFICER,
            Role.PARTY_OFFICER,
        }
    ),
    Role.PROVINCE_OFFICER: frozenset(
        {
            Role.WORKER,
            Role.STATION_HOST,
            Role.PROVIDER,
            Role.COMMUNITY_OFFICER,
            Role.DISTRICT_OFFICER,
            Role.CITY_OFFICER,
            Role.PARTY_OFFICER,
        }
    ),
    Role.SECURITY_ADMIN: frozenset(Role.values),
}
