from django_tasks import task

from . import coverage


@task()
def refresh_coverage() -> int:
    return coverage.refresh()
