from django_tasks import task

from . import services


@task()
def purge_exports() -> int:
    """The same job as ``manage.py purge_exports``, for deployments that run a task worker."""
    return services.exports_purge()
