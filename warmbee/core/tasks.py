from django_tasks import task

from . import import_jobs


@task()
def run_import_job(job_id: int) -> str:
    job = import_jobs.run(job_id)
    return job.status if job is not None else "taken"


@task()
def escalate_overdue() -> dict[str, int]:
    """Escalate every overdue deadline of every registered source (``core/deadlines.py``)."""
    from . import deadlines

    return deadlines.run_escalations()
