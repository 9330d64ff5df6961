"""The worker roster spreadsheet: layout, row form and upsert (R41), on ``core.tabular``.

A row is matched to an existing worker by its natural key — the company and the employee
number, or the company and the mobile number when there is no employee number — so importing
the same roster again updates instead of duplicating. Rules (scope, outlet of the company, ID
number checksum) are the services' own; a row outside the officer's area is a row error.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3

from django import forms
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from warmbee.accounts.roles import Perm
from warmbee.accounts.scoping import authorize, grant_paths
from warmbee.accounts.services import clean_name, clean_phone
from warmbee.audit.services import record
from warmbee.core import tabular
from warmbee.core.bulk import insert_rows
from warmbee.core.errors import DomainError
from warmbee.orgs.imports import COMPANY_COLUMN
from warmbee.orgs.models import Organisation, Outlet
from warmbee.orgs.selectors import employers_by_name

from . import services
from .models import Employment, Source, Worker, WorkerKind
from .search import pinyin_keys

COLUMNS = [
    tabular.Column("name", gettext_lazy("Name"), required=True, width=12, example="张三"),
    tabular.Column(
        "phone", gettext_lazy("Mobile"), required=True, text=True, width=14, example="13912345678"
    ),
    COMPANY_COLUMN,
    tabular.Column(
        "outlet",
        gettext_lazy("Outlet"),
        required=True,
        width=20,
        help=gettext_lazy("The outlet's name or code within the company."),
        example="顺丰萨尔图营业部",
    ),
    tabular.Column(
        "kind",
        gettext_lazy("Kind of work"),
        width=12,
        help=gettext_lazy("Courier, rider, driver … (blank: courier)."),
        example="快递员",
    ),
    tabular.Column(
        "employee_no",
        gettext_lazy("Employee number"),
        text=True,
        width=14,
        help=gettext_lazy("With the company, identifies the worker on a re-import."),
    ),
    tabular.Column(
        "started_on",
        gettext_lazy("Started in the trade"),
        width=12,
        help=gettext_lazy("A date, e.g. 2023-05-01."),
        example="2023-05-01",
    ),
    tabular.Column(
        "id_number",
        gettext_lazy("Resident ID number"),
        text=True,
        width=20,
        help=gettext_lazy(
            "Only when a programme needs it (insurance, certificates, aid). Stored encrypted."
        ),
    ),
]
LAYOUT = tabular.Layout(columns=COLUMNS, sheet_title=gettext_lazy("Workers"))


class OutletLookup:
    """A company's active outlets by name and by code, fetched once per company."""

    def __init__(self):
        self._by_company: dict[int, dict[str, Outlet]] = {}

    def get(self, company: Organisation, value: str) -> Outlet | None:
        table = self._by_company.get(company.pk)
        if table is None:
            table = {}
            for outlet in (
                Outlet.objects.unscoped(reason="outlet names of a roster's company")
                .filter(company=company, is_active=True)
                .select_related("region")
            ):
                table.setdefault(outlet.name, outlet)
                if outlet.code:
                    table.setdefault(outlet.code, outlet)
            self._by_company[company.pk] = table
        return table.get(value)


def _parse_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        parsed = forms.DateField().to_python(value)  # the site's other date formats
        if parsed is None:
            raise
        return parsed


class SeenKeys:
    """The natural keys met so far in one file, on disk (a private temporary SQLite file), so
    checking a roster for repeated rows takes the same memory at 100,000 rows as at 100."""

    def __init__(self):
        # An empty name is SQLite's private temporary database: on disk once it outgrows its
        # cache, deleted when the connection closes.
        self._db = sqlite3.connect("")
        self._db.execute("PRAGMA cache_size=-2000")  # 2 MB of page cache, whatever the size
        self._db.execute("CREATE TABLE seen (key TEXT PRIMARY KEY, row INTEGER) WITHOUT ROWID")

    def first_rows(self, rows: list[tuple[int, list[str]]]) -> dict[int, int]:
        """For each row (number, keys) whose key was seen before: the first row that had it.
        The others are remembered."""
        keys = [k for _n, ks in rows for k in ks]
        known: dict[str, int] = {}
        for start in range(0, len(keys), 500):
            part = keys[start : start + 500]
            marks = ",".join("?" * len(part))
            known.update(
                self._db.execute(f"SELECT key, row FROM seen WHERE key IN ({marks})", part)  # noqa: S608
            )
        firsts: dict[int, int] = {}
        new: list[tuple[str, int]] = []
        for number, row_keys in rows:
            first = next((known[k] for k in row_keys if k in known), None)
            if first is not None:
                firsts[number] = first
                continue
            for key in row_keys:
                known[key] = number
                new.append((key, number))
        self._db.executemany("INSERT INTO seen VALUES (?, ?)", new)
        return firsts

    def __del__(self):
        with contextlib.suppress(Exception):
            self._db.close()


class RosterImporter:
    """The worker roster for ``core.import_jobs``: checks a batch of rows, writes a batch.

    ``check`` applies the field rules without a form per row (the services' own cleaners),
    looks up the batch's natural keys in one query, and decides for each row whether it
    creates a worker, updates one (some field differs) or leaves one unchanged. A worker of the
    same key outside the officer's area, or a mobile number that already belongs to another
    worker of the company, is a row error. ``write`` creates the new workers of a batch in bulk
    (workers, employment spells and one ``worker.create_bulk`` audit row) and updates the
    others through the services, one audit row each.
    """

    kind = "workers.roster"
    layout = LAYOUT
    perm = Perm.MANAGE_WORKER
    title = gettext_lazy("Import a worker roster")
    page = "workers:roster_import"

    def __init__(self, actor):
        self.actor = actor
        self.employers = employers_by_name()
        self.outlets = OutletLookup()
        self._regions: dict[int, str | None] = {}  # region id → error message, or None when fine
        self._seen = SeenKeys()  # natural keys of the file so far → their first row
        self.required = _("This field is required.")
        self.kinds = tabular.choice_lookup(WorkerKind.choices)

    @classmethod
    def authorize(cls, actor) -> None:
        authorize(actor, cls.perm)

    @staticmethod
    def after_import() -> None:
        """New and moved workers change the coverage figures: recount them in the background."""
        from .tasks import refresh_coverage

        transaction.on_commit(refresh_coverage.enqueue)

    # --- checking -------------------------------------------------------------------------------
    def _clean(self, values: dict[str, str]) -> tuple[dict, dict[str, str]]:
        data: dict = {}
        problems: dict[str, str] = {}
        for key in ("name", "phone", "company", "outlet"):
            if not values.get(key, "").strip():
                problems[key] = self.required
        if "name" not in problems:
            try:
                data["name"] = clean_name(values["name"])
            except DomainError as exc:
                problems["name"] = str(exc.message)
        if "phone" not in problems:
            try:
                data["phone"] = clean_phone(values["phone"])
            except DomainError as exc:
                problems["phone"] = str(exc.message)
        company = None
        if "company" not in problems:
            value = values["company"].strip()
            company = self.employers.get(value.casefold())
            if company is None:
                problems["company"] = _("Unknown company “%(value)s”.") % {"value": value}
        if company is not None and "outlet" not in problems:
            value = values["outlet"].strip()
            outlet = self.outlets.get(company, value)
            if outlet is None:
                problems["outlet"] = _("The company has no outlet “%(value)s”.") % {"value": value}
            else:
                data["company"], data["outlet"] = company, outlet
                problem = self._region_problem(outlet.region)
                if problem:
                    problems["outlet"] = problem
        kind = values.get("kind", "").strip()
        if not kind:
            data["kind"] = WorkerKind.COURIER
        else:
            data["kind"] = self.kinds.get(kind.casefold())
            if data["kind"] is None:
                problems["kind"] = _("Unknown kind “%(value)s”; use one of: %(choices)s.") % {
                    "value": kind,
                    "choices": "、".join(str(x) for x in WorkerKind.labels),
                }
        data["employee_no"] = values.get("employee_no", "").strip()
        if len(data["employee_no"]) > 32:
            problems["employee_no"] = _("Use at most %(max)s characters.") % {"max": 32}
        started = values.get("started_on", "").strip()
        data["started_on"] = None
        if started:
            try:
                data["started_on"] = _parse_date(started)
            except (ValueError, ValidationError):
                problems["started_on"] = _("Enter a valid date.")
        data["id_number"] = ""
        if values.get("id_number", "").strip():
            try:
                data["id_number"] = services.clean_id_number(values["id_number"])
            except DomainError as exc:
                problems["id_number"] = str(exc.message)
        return data, problems

    def _region_problem(self, region) -> str | None:
        if region.pk not in self._regions:
            try:
                services._check_region(region)
                authorize(self.actor, Perm.MANAGE_WORKER, region=region)
                self._regions[region.pk] = None
            except DomainError as exc:
                self._regions[region.pk] = str(exc.message)
        return self._regions[region.pk]

    @staticmethod
    def _keys(data: dict) -> list[str]:
        company = data["company"].pk
        keys = [f"{company}:p:{data['phone']}"]
        if data["employee_no"]:
            keys.append(f"{company}:n:{data['employee_no']}")
        return keys

    @staticmethod
    def _existing(rows: list[dict]) -> tuple[dict, dict]:
        """The workers already registered under the batch's keys, by phone and by number."""
        if not rows:
            return {}, {}
        companies = {d["company"].pk for d in rows}
        phones = {d["phone"] for d in rows}
        numbers = {d["employee_no"] for d in rows if d["employee_no"]}
        # Two look-ups, each on its unique index, rather than one OR that defeats both.
        keys = [Q(phone__in=phones)] + ([Q(employee_no__in=numbers)] if numbers else [])
        by_phone, by_number = {}, {}
        for key in keys:
            for worker in (
                Worker.objects.unscoped(reason="natural keys of a roster batch")
                .filter(key, company_id__in=companies)
                .select_related("region")
                .only(
                    "pk",
                    "company_id",
                    "outlet_id",
                    "phone",
                    "employee_no",
                    "name",
                    "kind",
                    "started_on",
                    "id_number_index",
                    "region__path",
                )
            ):
                by_phone[(worker.company_id, worker.phone)] = worker
                if worker.employee_no:
                    by_number[(worker.company_id, worker.employee_no)] = worker
        return by_phone, by_number

    def check(self, rows: list[tabular.TableRow], header) -> tuple[list, list]:
        errors: list[tabular.RowError] = []
        cleaned: list[tuple[int, dict]] = []
        for row in rows:
            if row.errors:
                continue  # the reader has said what is wrong with it
            data, problems = self._clean(row.values)
            if problems:
                errors.extend(
                    tabular.RowError(row.number, header(k), m) for k, m in problems.items()
                )
                continue
            cleaned.append((row.number, data))
        # Repeats within the file: a row whose key an earlier row (of this or an earlier batch)
        # already has is an error naming that row.
        firsts = self._seen.first_rows([(n, self._keys(d)) for n, d in cleaned])
        unique = []
        for number, data in cleaned:
            first = firsts.get(number)
            if first is not None:
                errors.append(
                    tabular.RowError(number, "", _("Duplicate of row %(row)s.") % {"row": first})
                )
            else:
                unique.append((number, data))
        cleaned = unique
        by_phone, by_number = self._existing([d for _n, d in cleaned])
        paths = grant_paths(self.actor, Perm.MANAGE_WORKER)
        records = []
        for number, data in cleaned:
            company = data["company"].pk
            same_phone = by_phone.get((company, data["phone"]))
            match = same_phone
            if data["employee_no"]:
                match = by_number.get((company, data["employee_no"]))
                if match is None and same_phone is not None and not same_phone.employee_no:
                    match = same_phone  # the roster gives a number to a worker known by mobile
            if same_phone is not None and (match is None or same_phone.pk != match.pk):
                errors.append(
                    tabular.RowError(
                        number,
                        header("phone"),
                        _("This mobile number belongs to another worker of this company."),
                    )
                )
                continue
            if match is not None and not any(match.region.path.startswith(p) for p in paths):
                errors.append(
                    tabular.RowError(
                        number, header("outlet"), _("This worker is registered outside your area.")
                    )
                )
                continue
            record = {
                "name": data["name"],
                "phone": data["phone"],
                "company": company,
                "outlet": data["outlet"].pk,
                "region": data["outlet"].region_id,
                "kind": str(data["kind"]),
                "employee_no": data["employee_no"],
                "started_on": data["started_on"].isoformat() if data["started_on"] else None,
                "id_number": data["id_number"],
            }
            if match is None:
                record["name_pinyin"] = pinyin_keys(data["name"])
                records.append((number, "created", record))
                continue
            record["pk"] = match.pk
            changed = (
                match.name != data["name"]
                or match.phone != data["phone"]
                or match.kind != data["kind"]
                or (data["employee_no"] and match.employee_no != data["employee_no"])
                or match.outlet_id != data["outlet"].pk
                or (data["started_on"] and match.started_on != data["started_on"])
                or (
                    data["id_number"]
                    and match.id_number_index != services.id_number_index(data["id_number"])
                )
            )
            records.append((number, "updated" if changed else "unchanged", record))
        return records, errors

    # --- writing --------------------------------------------------------------------------------
    def write(self, records: list) -> tuple[dict, list]:
        counts = {"created": 0, "updated": 0, "unchanged": 0}
        errors: list[tabular.RowError] = []
        new = [(n, r) for n, action, r in records if action == "created"]
        if new:
            counts["created"] = self._create(new, errors)
        changed = [(n, r) for n, action, r in records if action == "updated"]
        if changed:
            workers = (
                Worker.objects.visible_to(self.actor, Perm.MANAGE_WORKER)
                .select_related("region", "company", "outlet")
                .in_bulk([r["pk"] for _n, r in changed])
            )
            for number, rec in changed:
                try:
                    with transaction.atomic():
                        self._update(workers.get(rec["pk"]), rec)
                except DomainError as exc:
                    column = self.layout.column(exc.field or "")
                    errors.append(
                        tabular.RowError(
                            number, str(column.header) if column else "", str(exc.message)
                        )
                    )
                else:
                    counts["updated"] += 1
        counts["unchanged"] = sum(1 for _n, action, _r in records if action == "unchanged")
        return counts, errors

    @staticmethod
    def _row(rec: dict) -> dict:
        """A new worker's column values (``attname`` → value) for ``bulk.insert_rows``."""
        row = {
            "name": rec["name"],
            "name_pinyin": rec["name_pinyin"],
            "phone": rec["phone"],
            "kind": rec["kind"],
            "company_id": rec["company"],
            "outlet_id": rec["outlet"],
            "region_id": rec["region"],
            "employee_no": rec["employee_no"],
            "started_on": dt.date.fromisoformat(rec["started_on"]) if rec["started_on"] else None,
            "source": Source.IMPORT,
        }
        if rec["id_number"]:
            row["id_number"] = rec["id_number"]
            row["id_number_index"] = services.id_number_index(rec["id_number"])
        return row

    def _create(self, new: list[tuple[int, dict]], errors: list) -> int:
        rows = [self._row(rec) for _n, rec in new]
        try:
            with transaction.atomic():
                ids = insert_rows(Worker, rows)
        except IntegrityError:
            # Someone registered one of these meanwhile: one by one, so only that row fails.
            ids, kept = [], []
            for (number, _rec), row in zip(new, rows, strict=True):
                try:
                    with transaction.atomic():
                        ids += insert_rows(Worker, [row])
                        kept.append(row)
                except IntegrityError:
                    errors.append(
                        tabular.RowError(
                            number,
                            "",
                            _("Another import or registration added this worker meanwhile."),
                        )
                    )
            rows = kept
        today = timezone.localdate()
        insert_rows(
            Employment,
            [
                {
                    "worker_id": pk,
                    "company_id": row["company_id"],
                    "outlet_id": row["outlet_id"],
                    "started_on": row["started_on"] or today,
                }
                for pk, row in zip(ids, rows, strict=True)
            ],
        )
        record(
            actor=self.actor,
            action="worker.create_bulk",
            changes={
                "created": [0, len(ids)],
                "ids": [None, ids],
                "with_id_number": [0, sum(1 for row in rows if "id_number" in row)],
            },
            reason=_("roster import"),
        )
        return len(ids)

    def _update(self, worker: Worker | None, rec: dict) -> None:
        if worker is None:
            raise DomainError(_("This worker is registered outside your area."), field="outlet")
        actor = self.actor
        changes = {"name": rec["name"], "phone": rec["phone"], "kind": rec["kind"]}
        if rec["employee_no"]:
            changes["employee_no"] = rec["employee_no"]
        if rec["started_on"]:
            changes["started_on"] = dt.date.fromisoformat(rec["started_on"])
        worker = services.worker_update(actor=actor, worker=worker, **changes)
        if worker.outlet_id != rec["outlet"]:
            outlet = (
                Outlet.objects.unscoped(reason="a roster row's outlet")
                .select_related("company", "region")
                .get(pk=rec["outlet"])
            )
            worker = services.worker_move(
                actor=actor, worker=worker, company=outlet.company, outlet=outlet
            )
        if (
            rec["id_number"]
            and services.id_number_index(rec["id_number"]) != worker.id_number_index
        ):
            services.worker_set_id_number(
                actor=actor, worker=worker, id_number=rec["id_number"], reason=_("roster import")
            )


# --- export (masked, R22; full only after a second person's approval, R29) ------------------------
# The most rows one export holds, masked or full.
MAX_EXPORT_ROWS = 50_000

EXPORT_LAYOUT = tabular.Layout(
    columns=[
        *COLUMNS[:7],
        tabular.Column("region", gettext_lazy("Region"), width=14),
        tabular.Column("status", gettext_lazy("Status"), width=10),
        tabular.Column("id_number", gettext_lazy("Resident ID number"), text=True, width=20),
    ],
    sheet_title=gettext_lazy("Workers"),
)


def _national(phone: str) -> str:
    return phone[3:] if phone.startswith("+86") else phone


def export_row(worker: Worker, *, full: bool = False) -> dict:
    """Masked values, unless ``full``: the unmasked name, mobile and decrypted ID number, only
    for an export a second person has approved (``privacy.services.export_approve``, R29)."""
    return {
        "name": worker.name if full else worker.masked_name,
        "phone": _national(worker.phone) if full else worker.masked_phone,
        "company": worker.company.name,
        "outlet": worker.outlet.name if worker.outlet_id else "",
        "kind": worker.get_kind_display(),
        "employee_no": worker.employee_no,
        "started_on": worker.started_on or "",
        "region": worker.region.name,
        "status": worker.get_status_display(),
        "id_number": (worker.id_number or "") if full else worker.masked_id_number,
    }
