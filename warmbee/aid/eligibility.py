"""Eligibility rules as data (ADR 0016): ``[{"kind": …, <parameters>}, …]``, all must hold.

Each registry rule becomes one ``Q`` on ``Worker``, so the same rule answers "is this worker
eligible?" at application time and "how many are?" in the preview, with one query. Rules that
the registry cannot answer (a child in compulsory education) are ``declared``: the applicant
answers the programme's question, and the preview counts them as "checked on the application".

=================  ==============================  =============================================
kind               parameters                      holds when
=================  ==============================  =============================================
union_member       months (int, default 0)         a current union membership joined at least
                                                   ``months`` months before the day
insured            insurance_kind (optional)       an insurance enrolment running on the day
certificate        year (optional, default: the    a certificate issued in that year (and, with
                   programme's year), unclaimed    ``unclaimed``, no subsidy claimed for it)
                   (bool)
worker_kind        kinds (list)                    the worker's kind of work is one of them
in_trade           months (int)                    in the trade at least ``months`` months
declared           question (a question key)       the applicant answers "yes" to the question
=================  ==============================  =============================================
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from warmbee.core.errors import DomainError
from warmbee.workers.models import InsuranceKind, WorkerKind

KINDS = {
    "union_member": _("Union member"),
    "insured": _("Insured"),
    "certificate": _("Certificate obtained"),
    "worker_kind": _("Kind of work"),
    "in_trade": _("Time in the trade"),
    "declared": _("Declared on the application"),
}


def months_before(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 - months
    year = day.year + month // 12
    month = month % 12 + 1
    last = [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28, 31, 30, 31,
            30, 31, 31, 30, 31, 30, 31][month - 1]  # fmt: skip
    return dt.date(year, month, min(day.day, last))


def _int(rule: dict, key: str, default: int | None = None) -> int:
    value = rule.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1200:
        raise DomainError(
            _("Rule %(kind)s: %(key)s must be a whole number from 0 to 1200.")
            % {"kind": rule.get("kind"), "key": key},
            code="eligibility",
            field="eligibility",
        )
    return value


def clean_rules(rules, *, questions: list[dict]) -> list[dict]:
    """Validate and normalise a rule list; raises ``DomainError`` on the ``eligibility`` field."""
    if rules in (None, ""):
        return []
    if not isinstance(rules, list) or len(rules) > 20:
        raise DomainError(
            _("Eligibility rules must be a list of at most 20 rules."),
            code="eligibility",
            field="eligibility",
        )
    keys = {q["key"] for q in questions}
    out = []
    for rule in rules:
        kind = rule.get("kind") if isinstance(rule, dict) else None
        if kind not in KINDS:
            raise DomainError(
                _("Unknown eligibility rule %(kind)s.") % {"kind": kind},
                code="eligibility",
                field="eligibility",
            )
        if kind in ("union_member", "in_trade"):
            out.append({"kind": kind, "months": _int(rule, "months", 0)})
        elif kind == "insured":
            ik = rule.get("insurance_kind") or ""
            if ik and ik not in InsuranceKind.values:
                raise DomainError(
                    _("Unknown insurance kind."), code="eligibility", field="eligibility"
                )
            out.append({"kind": kind, "insurance_kind": ik})
        elif kind == "certificate":
            year = rule.get("year")
            if year is not None:
                year = _int(rule, "year") if isinstance(year, int) and year > 1200 else None
                if year is None:
                    raise DomainError(
                        _("Rule certificate: year must be a year such as 2026."),
                        code="eligibility",
                        field="eligibility",
                    )
            out.append({"kind": kind, "year": year, "unclaimed": bool(rule.get("unclaimed"))})
        elif kind == "worker_kind":
            kinds = rule.get("kinds")
            if not kinds or not isinstance(kinds, list) or set(kinds) - set(WorkerKind.values):
                raise DomainError(
                    _("Rule worker_kind: choose kinds of work."),
                    code="eligibility",
                    field="eligibility",
                )
            out.append({"kind": kind, "kinds": sorted(kinds)})
        else:  # declared
            if rule.get("question") not in keys:
                raise DomainError(
                    _("Rule declared: name one of the programme's questions."),
                    code="eligibility",
                    field="eligibility",
                )
            out.append({"kind": kind, "question": rule["question"]})
    return out


def _q(rule: dict, *, on: dt.date, programme_year: int) -> Q | None:
    kind = rule["kind"]
    if kind == "union_member":
        joined_by = months_before(on, rule.get("months", 0))
        return Q(union_memberships__status="member", union_memberships__joined_on__lte=joined_by)
    if kind == "insured":
        q = Q(insurances__starts_on__lte=on) & (
            Q(insurances__ends_on=None) | Q(insurances__ends_on__gte=on)
        )
        if rule.get("insurance_kind"):
            q &= Q(insurances__kind=rule["insurance_kind"])
        return q
    if kind == "certificate":
        q = Q(certificates__issued_on__year=rule.get("year") or programme_year)
        if rule.get("unclaimed"):
            q &= Q(certificates__subsidy_claimed=False)
        return q
    if kind == "worker_kind":
        return Q(kind__in=rule["kinds"])
    if kind == "in_trade":
        return Q(started_on__lte=months_before(on, rule["months"]))
    return None  # declared: answered on the application


def registry_rules(programme) -> list[dict]:
    return [r for r in programme.eligibility or [] if r["kind"] != "declared"]


def filter_eligible(workers, programme, *, on: dt.date | None = None):
    """``workers`` narrowed to those every registry rule holds for (each rule its own
    ``filter`` so multi-valued joins are matched per rule), active, in the programme's region."""
    on = on or dt.date.today()
    qs = workers.filter(status="active", region__path__startswith=programme.region.path)
    for rule in registry_rules(programme):
        qs = qs.filter(_q(rule, on=on, programme_year=programme.opens_on.year))
    return qs.distinct()


def unmet(worker, programme, *, on: dt.date | None = None) -> list[str]:
    """Labels of the registry rules ``worker`` does not meet (empty: eligible)."""
    from warmbee.workers.models import Worker

    on = on or dt.date.today()
    base = Worker.objects.unscoped(reason="eligibility of one worker already in scope").filter(
        pk=worker.pk
    )
    failures = []
    if worker.status != "active" or not worker.region.path.startswith(programme.region.path):
        failures.append(str(_("Works in the programme's region")))
    for rule in registry_rules(programme):
        if not base.filter(_q(rule, on=on, programme_year=programme.opens_on.year)).exists():
            failures.append(describe(rule))
    return failures


def describe(rule: dict) -> str:
    kind = rule["kind"]
    if kind == "union_member":
        if rule.get("months"):
            return str(_("Union member for at least %(n)d months") % {"n": rule["months"]})
        return str(_("Union member"))
    if kind == "insured":
        if rule.get("insurance_kind"):
            return str(
                _("Insured: %(kind)s") % {"kind": InsuranceKind(rule["insurance_kind"]).label}
            )
        return str(_("Insured"))
    if kind == "certificate":
        text = _("Certificate obtained in %(year)s") % {
            "year": rule.get("year") or _("the programme's year")
        }
        if rule.get("unclaimed"):
            text = _("%(rule)s, no subsidy claimed yet") % {"rule": text}
        return str(text)
    if kind == "worker_kind":
        return str(
            _("Kind of work: %(kinds)s")
            % {"kinds": "、".join(str(WorkerKind(k).label) for k in rule["kinds"])}
        )
    if kind == "in_trade":
        return str(_("In the trade for at least %(n)d months") % {"n": rule["months"]})
    return str(_("Declared on the application: %(q)s") % {"q": rule["question"]})
