"""Aid reads. Lists start from ``visible_to``; a single object out of scope is ``NotFound``."""

from __future__ import annotations

from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from warmbee.accounts.roles import Perm
from warmbee.accounts.scoping import access, grant_paths
from warmbee.core.errors import NotFound

from . import eligibility
from .choices import AppStatus, ProgrammeStatus
from .models import AidApplication, AidEvidence, AidProgramme, AidStep, Disbursement, PaymentList


def _ancestor_paths(paths: list[str]) -> set[str]:
    out = set()
    for path in paths:
        parts = [p for p in path.strip("/").split("/") if p]
        for i in range(1, len(parts) + 1):
            out.add("/" + "/".join(parts[:i]) + "/")
    return out


def programme_list(*, actor, perm: str = Perm.VIEW_APPLICATION):
    """Programmes run in the actor's area and the ones above it that their area applies to
    (a district officer reviews applications to the city's programme)."""
    paths = grant_paths(actor, perm)
    if not paths:
        return AidProgramme.objects.none()
    q = Q(region__path__in=_ancestor_paths(paths))
    for path in paths:
        q |= Q(region__path__startswith=path)
    return (
        AidProgramme.objects.unscoped(reason="programmes over or under the actor's grants")
        .filter(q)
        .select_related("region", "owner")
    )


def access_programme(actor, pk, perm: str = Perm.VIEW_APPLICATION) -> AidProgramme:
    try:
        return programme_list(actor=actor, perm=perm).get(pk=pk)
    except (AidProgramme.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Not found.")) from None


def open_programmes_for(worker):
    """The open programmes a worker may apply to: run in their region or above it."""
    today = timezone.localdate()
    paths = _ancestor_paths([worker.region.path])
    return (
        AidProgramme.objects.unscoped(reason="open programmes, public to applicants")
        .filter(
            region__path__in=paths,
            status=ProgrammeStatus.OPEN,
            opens_on__lte=today,
            closes_on__gte=today,
        )
        .select_related("region", "owner")
        .order_by("closes_on", "pk")
    )


def access_open_programme(worker, pk) -> AidProgramme:
    try:
        return open_programmes_for(worker).get(pk=pk)
    except (AidProgramme.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Not found.")) from None


def application_list(*, actor, programme=None, status: str = "", q: str = ""):
    qs = AidApplication.objects.visible_to(actor, Perm.VIEW_APPLICATION).select_related(
        "programme", "worker", "region"
    )
    if programme is not None:
        qs = qs.filter(programme=programme)
    if status in AppStatus.values:
        qs = qs.filter(status=status)
    return qs.order_by("-updated_at", "-pk")


def access_application(actor, pk, perm: str = Perm.VIEW_APPLICATION) -> AidApplication:
    app = access(AidApplication, actor, perm, pk=pk)
    return app


def application_detail(application: AidApplication) -> dict:
    """The timeline, evidence and ledger entry of an application already in scope."""
    steps = (
        AidStep.objects.unscoped(reason="the timeline of an application in scope")
        .filter(application=application)
        .select_related("actor")
    )
    evidence = list(
        AidEvidence.objects.unscoped(reason="the evidence of an application in scope")
        .filter(application=application)
        .order_by("key", "pk")
    )
    entry = (
        Disbursement.objects.unscoped(reason="the ledger entry of an application in scope")
        .filter(application=application)
        .select_related("by", "station")
        .first()
    )
    return {"steps": list(steps), "evidence": evidence, "entry": entry}


def my_applications(user):
    return (
        AidApplication.objects.unscoped(reason="the person's own applications")
        .filter(Q(applicant=user) | Q(worker__user=user))
        .select_related("programme")
        .order_by("-created_at")
    )


def access_my_application(user, pk) -> AidApplication:
    try:
        return my_applications(user).get(pk=pk)
    except (AidApplication.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Not found.")) from None


def eligibility_preview(*, actor, programme: AidProgramme) -> dict:
    """Exact counts before a programme opens: workers in the programme's region (within the
    actor's scope), each registry rule alone, and all rules together."""
    from warmbee.workers.models import Worker

    base = Worker.objects.visible_to(actor, Perm.VIEW_APPLICATION).filter(
        status="active", region__path__startswith=programme.region.path
    )
    rows = []
    for rule in eligibility.registry_rules(programme):
        probe = AidProgramme(
            region=programme.region, opens_on=programme.opens_on, eligibility=[rule]
        )
        rows.append(
            {
                "label": eligibility.describe(rule),
                "count": eligibility.filter_eligible(base, probe).count(),
            }
        )
    declared = [
        eligibility.describe(r) for r in programme.eligibility or [] if r["kind"] == "declared"
    ]
    return {
        "workers": base.count(),
        "rules": rows,
        "eligible": eligibility.filter_eligible(base, programme).count(),
        "declared": declared,
    }


def figures(*, actor, programmes=None) -> list[dict]:
    """Per programme and region: applications, approvals, amounts, people reached, budget left,
    counted over the applications in the actor's scope."""
    qs = AidApplication.objects.visible_to(actor, Perm.VIEW_AID_FIGURES)
    if programmes is not None:
        qs = qs.filter(programme__in=programmes)
    paid = [AppStatus.DISBURSED, AppStatus.CLOSED]
    approved = [AppStatus.APPROVED, *paid]
    rows = (
        qs.values("programme_id", "programme__name", "region_id", "region__name")
        .annotate(
            applications=Count("pk"),
            approvals=Count("pk", filter=Q(status__in=approved)),
            approved_fen=Sum("amount_fen", filter=Q(status__in=approved), default=0),
            reached=Count("worker", filter=Q(status__in=paid), distinct=True),
            paid_fen=Sum("amount_fen", filter=Q(status__in=paid), default=0),
        )
        .order_by("programme_id", "region_id")
    )
    return list(rows)


def payment_list_list(*, actor, programme=None):
    qs = PaymentList.objects.visible_to(actor, Perm.DISBURSE).select_related(
        "programme", "requested_by", "decided_by"
    )
    if programme is not None:
        qs = qs.filter(programme=programme)
    return qs


def access_payment_list(actor, pk) -> PaymentList:
    return access(PaymentList, actor, Perm.DISBURSE, pk=pk)
