"""The outlet roster (网点名册) for ``core.import_jobs``: layout, check and write (R41).

A row is matched to an existing outlet of the same company by its outlet code, or by its name
when it has no code, so importing the list again updates instead of duplicating. Outlets are
written one by one through ``orgs.services`` (a city has hundreds, a province a few thousand):
every create and change is audited and checked as on the console.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from warmbee.accounts.roles import Perm
from warmbee.accounts.scoping import authorize, grant_paths, paths_q
from warmbee.core import tabular
from warmbee.core.errors import DomainError
from warmbee.regions.models import Region

from . import services
from .models import Organisation, OrgKind, Outlet
from .selectors import employers_by_name, linkable_orgs

#: The company column of every roster (outlets, workers): a name, short name or credit code.
COMPANY_COLUMN = tabular.Column(
    "company",
    gettext_lazy("Company"),
    required=True,
    width=22,
    help=gettext_lazy("The company's name, short name or unified social credit code."),
    example="顺丰速运（大庆）有限公司",
)
COLUMNS = [
    COMPANY_COLUMN,
    tabular.Column(
        "name", gettext_lazy("Outlet"), required=True, width=20, example="顺丰萨尔图营业部"
    ),
    tabular.Column(
        "code",
        gettext_lazy("Outlet code"),
        text=True,
        width=12,
        help=gettext_lazy("The company's own code; with the company, identifies the outlet."),
    ),
    tabular.Column(
        "region",
        gettext_lazy("Region"),
        required=True,
        text=True,
        width=14,
        help=gettext_lazy("District, county or street: its name in your area, or its code."),
        example="萨尔图区",
    ),
    tabular.Column("address", gettext_lazy("Address"), width=28),
    tabular.Column("manager_name", gettext_lazy("Manager"), width=10),
    tabular.Column("manager_phone", gettext_lazy("Manager's mobile"), text=True, width=14),
    tabular.Column(
        "union_branch",
        gettext_lazy("Union branch"),
        width=20,
        help=gettext_lazy("The name of the union branch the outlet belongs to."),
    ),
    tabular.Column(
        "party_org",
        gettext_lazy("Party organisation"),
        width=20,
        help=gettext_lazy("The name of the party organisation that covers the outlet."),
    ),
    tabular.Column("staff_count", gettext_lazy("Staff (declared)"), width=10),
    tabular.Column("lat", gettext_lazy("Latitude"), width=10, help=gettext_lazy("WGS-84.")),
    tabular.Column("lng", gettext_lazy("Longitude"), width=10, help=gettext_lazy("WGS-84.")),
]
LAYOUT = tabular.Layout(columns=COLUMNS, sheet_title=gettext_lazy("Outlets"))
FIELDS = (
    "name",
    "code",
    "region",
    "address",
    "manager_name",
    "manager_phone",
    "union_branch",
    "party_org",
    "staff_count",
    "lat",
    "lng",
)


class OutletImporter:
    kind = "orgs.outlets"
    layout = LAYOUT
    perm = Perm.MANAGE_ORG
    title = gettext_lazy("Import an outlet list")
    page = "orgs:outlet_import"

    def __init__(self, actor):
        self.actor = actor
        paths = grant_paths(actor, Perm.MANAGE_ORG)
        self._paths = paths
        self._companies = employers_by_name()
        # Union branches and party organisations the officer can see, and national ones.
        self._orgs: dict[tuple[str, str], Organisation | None] = {}
        for org in linkable_orgs(actor, OrgKind.UNION, OrgKind.PARTY):
            for name in filter(None, (org.name, org.short_name)):
                key = (org.kind, name.casefold())
                # A name two organisations share is ambiguous: None, and the row says so.
                self._orgs[key] = None if self._orgs.get(key, org) != org else org
        self._regions: dict[str, list[Region]] = {}
        for region in Region.objects.current().filter(paths_q(paths)):
            self._regions.setdefault(region.code, []).append(region)
            self._regions.setdefault(region.name, []).append(region)
        self._seen: dict[tuple[int, str], int] = {}

    @classmethod
    def authorize(cls, actor) -> None:
        authorize(actor, cls.perm)

    def _org(self, kinds, value: str) -> tuple[Organisation | None, str | None]:
        found = [
            self._orgs[(kind, value.casefold())]
            for kind in kinds
            if (kind, value.casefold()) in self._orgs
        ]
        if not found:
            return None, _("Unknown organisation “%(value)s”.") % {"value": value}
        if None in found or len(found) > 1:
            return None, _("Several organisations are called “%(value)s”; use the full name.") % {
                "value": value
            }
        return found[0], None

    def _clean(self, values: dict[str, str]) -> tuple[dict, dict[str, str]]:
        data: dict = {}
        problems: dict[str, str] = {}
        for key in ("company", "name", "region"):
            if not values.get(key, "").strip():
                problems[key] = _("This field is required.")
        if "company" not in problems:
            value = values["company"].strip()
            data["company"] = self._companies.get(value.casefold())
            if data["company"] is None:
                problems["company"] = _("Unknown company “%(value)s”.") % {"value": value}
        if "region" not in problems:
            matches = self._regions.get(values["region"].strip(), [])
            if not matches:
                problems["region"] = _("No region “%(value)s” in your area.") % {
                    "value": values["region"].strip()
                }
            elif len(matches) > 1:
                problems["region"] = _("Several regions are called this; use the code.")
            else:
                data["region"] = matches[0]
        for key, kind in (("union_branch", OrgKind.UNION), ("party_org", OrgKind.PARTY)):
            value = values.get(key, "").strip()
            data[key] = None
            if value:
                data[key], problem = self._org([kind], value)
                if problem:
                    problems[key] = problem
        for key in ("name", "code", "address", "manager_name", "manager_phone"):
            data[key] = values.get(key, "").strip()
        staff = values.get("staff_count", "").strip()
        data["staff_count"] = 0
        if staff:
            if not staff.isdigit():
                problems["staff_count"] = _("Enter a whole number.")
            else:
                data["staff_count"] = int(staff)
        for key, low, high in (("lat", -90, 90), ("lng", -180, 180)):
            value = values.get(key, "").strip()
            data[key] = None
            if value:
                try:
                    data[key] = float(value)
                    if not low <= data[key] <= high:
                        raise ValueError
                except ValueError:
                    problems[key] = _("Enter a number between %(low)s and %(high)s.") % {
                        "low": low,
                        "high": high,
                    }
        if (data["lat"] is None) != (data["lng"] is None):
            problems["lng" if data["lng"] is None else "lat"] = _(
                "Give both the latitude and the longitude, or neither."
            )
        return data, problems

    def check(self, rows: list[tabular.TableRow], header) -> tuple[list, list]:
        errors: list[tabular.RowError] = []
        cleaned = []
        for row in rows:
            if row.errors:
                continue
            data, problems = self._clean(row.values)
            if problems:
                errors.extend(
                    tabular.RowError(row.number, header(k), m) for k, m in problems.items()
                )
                continue
            key = (data["company"].pk, data["code"] or f"name:{data['name']}")
            if key in self._seen:
                errors.append(
                    tabular.RowError(
                        row.number, "", _("Duplicate of row %(row)s.") % {"row": self._seen[key]}
                    )
                )
                continue
            self._seen[key] = row.number
            cleaned.append((row.number, data))
        existing = self._existing([d for _n, d in cleaned])
        records = []
        for number, data in cleaned:
            company = data["company"].pk
            outlet = existing.get((company, "code", data["code"])) if data["code"] else None
            outlet = outlet or existing.get((company, "name", data["name"]))
            if outlet is not None and not any(
                outlet.region.path.startswith(p) for p in self._paths
            ):
                errors.append(
                    tabular.RowError(
                        number, header("region"), _("This outlet is registered outside your area.")
                    )
                )
                continue
            record = {
                "company": company,
                **{k: data[k] for k in FIELDS if k not in ("region", "union_branch", "party_org")},
                "region": data["region"].pk,
                "union_branch": data["union_branch"].pk if data["union_branch"] else None,
                "party_org": data["party_org"].pk if data["party_org"] else None,
            }
            if outlet is None:
                records.append((number, "created", record))
                continue
            record["pk"] = outlet.pk
            same = all(
                getattr(outlet, f"{k}_id" if k in ("region", "union_branch", "party_org") else k)
                == record[k]
                for k in FIELDS
                if k in ("name", "region") or record[k] not in ("", None, 0)
            )
            records.append((number, "unchanged" if same else "updated", record))
        return records, errors

    @staticmethod
    def _existing(rows: list[dict]) -> dict:
        if not rows:
            return {}
        key = Q(name__in={d["name"] for d in rows})
        codes = {d["code"] for d in rows if d["code"]}
        if codes:
            key |= Q(code__in=codes)
        found = {}
        for outlet in (
            Outlet.objects.unscoped(reason="natural keys of an outlet list")
            .filter(key, company_id__in={d["company"].pk for d in rows})
            .select_related("region")
        ):
            found[(outlet.company_id, "name", outlet.name)] = outlet
            if outlet.code:
                found[(outlet.company_id, "code", outlet.code)] = outlet
        return found

    def write(self, records: list) -> tuple[dict, list]:
        from django.db import transaction

        counts = {"created": 0, "updated": 0, "unchanged": 0}
        errors: list[tabular.RowError] = []
        ids = {r["region"] for _n, _a, r in records}
        regions = Region.objects.in_bulk(ids)
        org_ids = {r[k] for _n, _a, r in records for k in ("company", "union_branch", "party_org")}
        orgs = Organisation.objects.unscoped(reason="an outlet list's organisations").in_bulk(
            [i for i in org_ids if i]
        )
        outlets = (
            Outlet.objects.visible_to(self.actor, Perm.MANAGE_ORG)
            .select_related("company", "region")
            .in_bulk([r["pk"] for _n, a, r in records if a == "updated"])
        )
        for number, action, rec in records:
            if action == "unchanged":
                counts["unchanged"] += 1
                continue
            fields = {k: rec[k] for k in FIELDS}
            fields["region"] = regions[rec["region"]]
            for k in ("union_branch", "party_org"):
                fields[k] = orgs.get(rec[k]) if rec[k] else None
            if action == "updated":
                fields = {
                    k: v
                    for k, v in fields.items()
                    if k in ("name", "region") or v not in ("", None, 0)
                }
            try:
                with transaction.atomic():
                    if action == "created":
                        services.outlet_create(
                            actor=self.actor, company=orgs[rec["company"]], **fields
                        )
                    else:
                        outlet = outlets.get(rec["pk"])
                        if outlet is None:
                            raise DomainError(
                                _("This outlet is registered outside your area."), field="region"
                            )
                        services.outlet_update(actor=self.actor, outlet=outlet, **fields)
            except DomainError as exc:
                column = self.layout.column(exc.field or "")
                errors.append(
                    tabular.RowError(number, str(column.header) if column else "", str(exc.message))
                )
            else:
                counts[action] += 1
        return counts, errors

    @staticmethod
    def after_import() -> None:
        from django.db import transaction

        from warmbee.workers.tasks import refresh_coverage

        transaction.on_commit(refresh_coverage.enqueue)
