"""Models of mechanisms every app shares."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .pi import Inventory


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    CHECKING = "checking", _("Checking the rows")
    WRITING = "writing", _("Saving")
    DONE = "done", _("Finished")
    FAILED = "failed", _("Failed")


class ImportJob(models.Model):
    """One uploaded roster on its way in (``core.import_jobs``): progress, counts, row errors.

    Belongs to the person who uploaded it and is shown to nobody else; what it writes is
    scoped and audited by the importer of its ``kind``. The uploaded file and the checked rows
    are kept encrypted in ``DATA_DIR/imports/`` only until the job ends.
    """

    kind = models.CharField(max_length=40)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    file_name = models.CharField(_("file"), max_length=200)
    token = models.CharField(max_length=32, unique=True, editable=False)
    mode = models.CharField(max_length=16)
    dry_run = models.BooleanField(default=False)
    #: The uploader's interface language, for the messages the background run writes.
    language = models.CharField(max_length=16, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    estimated_rows = models.PositiveIntegerField(null=True, blank=True)
    total_rows = models.PositiveIntegerField(default=0)
    checked_rows = models.PositiveIntegerField(default=0)
    valid_rows = models.PositiveIntegerField(default=0)
    #: The spreadsheet row number up to which the checked rows have been written (resume point).
    checkpoint = models.PositiveIntegerField(default=0)
    written_rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    failed_rows = models.PositiveIntegerField(default=0)
    #: The first ``IMPORT_MAX_REPORTED_ERRORS`` row errors as ``[row, column, message]``.
    errors = models.JSONField(default=list, blank=True)
    message = models.CharField(max_length=500, blank=True)
    written = models.BooleanField(default=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    data_inventory = Inventory(
        retention="import",
        general=(
            "id kind created_by file_name token mode dry_run language status estimated_rows total_rows "
            "checked_rows valid_rows checkpoint written_rows created updated unchanged "
            "error_count failed_rows errors message written attempts created_at heartbeat_at "
            "finished_at"
        ),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        default_permissions = ()
        indexes = [models.Index(fields=["status", "heartbeat_at"])]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)

    @property
    def percent(self) -> int:
        """Progress for the bar: checking is the first half, saving the second (when saving)."""
        if self.finished:
            return 100
        estimate = self.total_rows or self.estimated_rows or 0
        if not estimate:
            return 0
        saves = not self.dry_run
        if self.status == JobStatus.WRITING:
            done = self.written_rows / max(self.valid_rows, 1)
            return min(99, int(50 + 50 * done))
        share = 50 if saves else 100
        return min(99, int(share * self.checked_rows / estimate))


class ScheduledJob(models.Model):
    """The run state of one job of the schedule (``core/schedule.py``), and its lock.

    A scheduler takes a job by one conditional UPDATE (``locked_until`` past, ``last_started_at``
    as it read it), so two schedulers never run the same job at once; a scheduler that dies
    leaves a lock that expires after the job's ``lock_minutes``.
    """

    name = models.CharField(max_length=60, primary_key=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    locked_by = models.CharField(max_length=100, blank=True)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_ok = models.BooleanField(null=True)
    last_error = models.CharField(max_length=300, blank=True)
    runs = models.PositiveIntegerField(default=0)

    data_inventory = Inventory(
        retention="permanent",
        general=(
            "name locked_until locked_by last_started_at last_finished_at last_ok last_error runs"
        ),
    )

    class Meta:
        default_permissions = ()

    def __str__(self) -> str:
        return self.name


class RateCounter(models.Model):
    """One fixed window of one rate limit (``core.ratelimit``) where no Redis is configured.

    ``key`` names the bucket, the hashed identity and the window; one upsert counts a hit, in the
    caller's transaction when there is one. Rows past ``expires_at`` are purged hourly."""

    key = models.CharField(max_length=100, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    data_inventory = Inventory(retention="security", general="key count expires_at")

    class Meta:
        default_permissions = ()

    def __str__(self) -> str:
        return self.key
