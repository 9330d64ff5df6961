"""The background-import rows of the authorisation matrix (merged by test_matrix.py).

Reference model: an import job is seen only by the person who uploaded it (here the district
officer); the list of one's own imports is open to whoever may import something (officers who
manage workers); everyone else gets 404, anonymous visitors the login page.
"""

from __future__ import annotations

from django.urls import reverse

IMPORTERS = {"district_officer", "other_district", "city_officer", "province_officer"}
OWNER = "district_officer"


def job_setup(ctx) -> None:
    import datetime as dt

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from warmbee.core import import_jobs
    from warmbee.core.models import ImportJob

    upload = SimpleUploadedFile("roster.csv", "姓名,手机号,企业,网点\n".encode())
    job = import_jobs.create(
        actor=ctx["personas"][OWNER],
        kind="workers.roster",
        upload=upload,
        mode="all_or_nothing",
        dry_run=True,
    )
    # As if its worker had died a while ago: resumable.
    ImportJob.objects.filter(pk=job.pk).update(
        status="checking", heartbeat_at=timezone.now() - dt.timedelta(hours=1)
    )
    ctx["job"] = job


def job_state(ctx) -> dict:
    from warmbee.core.models import ImportJob

    return {"jobs": list(ImportJob.objects.values())}


def _owner(ok):
    def expect(persona, position):
        if persona == "anonymous":
            return 302
        return ok if persona == OWNER else 404

    return expect


def _list(persona, position):
    if persona == "anonymous":
        return 302
    return 200 if persona in IMPORTERS else 404


def routes(Route) -> dict:
    def job_url(name):
        return lambda ctx: reverse(name, args=[ctx["job"].pk])

    return {
        "core:import_jobs": Route("get", lambda ctx: reverse("core:import_jobs"), _list),
        "core:import_job": Route("get", job_url("core:import_job"), _owner(200), setup=job_setup),
        "core:import_job_errors": Route(
            "get", job_url("core:import_job_errors"), _owner(200), setup=job_setup
        ),
        "core:import_job_resume": Route(
            "post",
            job_url("core:import_job_resume"),
            _owner(302),
            setup=job_setup,
            state=job_state,
            changes_state=True,
        ),
    }
