"""Background imports of large rosters, with progress, resumable after a crash (R41).

An :class:`~warmbee.core.models.ImportJob` runs in two passes over the uploaded file:

1. **Check.** The rows are streamed from the file (``tabular.open_table``, constant memory)
   in batches; the importer validates each batch — field rules, natural keys against the
   database in one query per batch, scope — and the checked rows go to an encrypted spool
   file beside the upload. Nothing is written to the database. A dry run stops here; so does
   an all-or-nothing import with any row error.
2. **Write.** The spool is read back batch by batch; each batch is written by the importer
   and the job's counters and ``checkpoint`` (the last row number written) are saved **in the
   same transaction**. A process killed mid-import (``kill -9``) leaves whole batches only,
   and a resumed job skips every row up to the checkpoint: the counts stay exact and no row
   is written twice.

A job is claimed with a conditional ``UPDATE`` (queued, or running with a heartbeat older than
``IMPORT_STALE_SECONDS``), so two workers never run it at once. ``manage.py resume_imports``
picks up jobs whose worker died and gives up on those older than ``IMPORT_RESUME_HOURS``.
The uploaded file and the spool are encrypted at rest (``crypto.seal``) and deleted when the
job ends.

An importer (one per ``kind``, registered in :data:`IMPORTERS`) is a class taking the actor,
with ``layout``, ``perm``, ``title``, ``page`` (URL name of its upload page) and two methods:

* ``check(rows: list[TableRow], header) -> (records, errors)``: ``records`` are
  ``(row_number, action, data)`` with ``action`` one of ``created``/``updated``/``unchanged``
  and ``data`` of plain ``str``, ``int``, ``None``, lists and dicts (the spool is marshalled);
  ``header(key)`` names a column as the file does.
* ``write(records) -> (counts, errors)``: writes one batch inside the caller's transaction.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import logging
import marshal
import os
import secrets
import struct
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from warmbee.audit.services import record

from . import crypto, tabular
from .errors import DomainError
from .models import ImportJob, JobStatus

logger = logging.getLogger(__name__)

IMPORTERS = {
    "workers.roster": "warmbee.workers.imports.RosterImporter",
    "orgs.outlets": "warmbee.orgs.imports.OutletImporter",
    "stations.stations": "warmbee.stations.imports.StationImporter",
}
BATCH = 1000
ACTIONS = ("created", "updated", "unchanged")
_LENGTH = struct.Struct(">I")
RUNNING = (JobStatus.CHECKING, JobStatus.WRITING)


def importer_class(kind: str):
    try:
        return import_string(IMPORTERS[kind])
    except KeyError:
        raise ValueError(f"Unknown import kind {kind!r}") from None


# --- files ----------------------------------------------------------------------------------------
def _dir() -> Path:
    path = Path(settings.DATA_DIR) / "imports"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _upload_path(job: ImportJob) -> Path:
    return _dir() / f"{job.token}.upload"


def _spool_path(job: ImportJob) -> Path:
    return _dir() / f"{job.token}.rows"


def _context(job: ImportJob, part: str) -> str:
    return f"import:{job.token}:{part}"


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def delete_files(job: ImportJob) -> None:
    for path in (_upload_path(job), _spool_path(job)):
        path.unlink(missing_ok=True)


def _spool_batches(job: ImportJob) -> Iterator[list]:
    context = _context(job, "rows")
    with open(_spool_path(job), "rb") as handle:
        while header := handle.read(_LENGTH.size):
            (length,) = _LENGTH.unpack(header)
            # Safe to unmarshal: AES-GCM authenticates the batch as sealed by this service.
            batch = crypto.unseal(handle.read(length), context=context)
            yield marshal.loads(batch)  # noqa: S302


# --- creating and running -------------------------------------------------------------------------
def create(*, actor, kind: str, upload, mode: str, dry_run: bool) -> ImportJob:
    """Store the upload (encrypted) and queue a job for it; the caller runs or enqueues it."""
    cls = importer_class(kind)
    if mode not in (tabular.ALL_OR_NOTHING, tabular.VALID_ONLY):
        raise ValueError(f"Unknown import mode: {mode!r}")
    tabular.file_extension(upload)  # refused on the form, before anything is stored
    name = str(getattr(upload, "name", "") or "")[:200]
    size = getattr(upload, "size", None)
    if isinstance(size, int) and size > settings.IMPORT_MAX_BYTES:
        raise tabular.file_too_large(settings.IMPORT_MAX_BYTES)
    if hasattr(upload, "seek"):
        upload.seek(0)
    raw = upload.read(settings.IMPORT_MAX_BYTES + 1)
    if len(raw) > settings.IMPORT_MAX_BYTES:
        raise tabular.file_too_large(settings.IMPORT_MAX_BYTES)
    if not raw:
        raise DomainError(_("The file is empty."), code="import_file", field="file")
    job = ImportJob(
        kind=kind,
        created_by=actor,
        file_name=name,
        token=secrets.token_hex(16),
        mode=mode,
        dry_run=dry_run,
        language=translation.get_language() or "",
    )
    # Fail early on what the importer would refuse anyway (permission, file type).
    cls.authorize(actor)
    _write_synced(_upload_path(job), crypto.seal(raw, context=_context(job, "upload")))
    job.save()
    return job


def start(job: ImportJob) -> None:
    """Run small files now, in the request; queue large ones for the task worker."""
    from .tasks import run_import_job

    size = _upload_path(job).stat().st_size
    if size <= settings.IMPORT_INLINE_BYTES:
        with contextlib.suppress(Exception):  # logged by run(); the job page offers to resume
            run(job.pk)
    else:
        transaction.on_commit(lambda: run_import_job.enqueue(job.pk))


def claim(job_id: int) -> ImportJob | None:
    """Take the job if nobody is running it (queued, or its runner's heartbeat is stale)."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.IMPORT_STALE_SECONDS)
    claimable = Q(status=JobStatus.QUEUED) | (
        Q(status__in=RUNNING) & (Q(heartbeat_at__lt=stale) | Q(heartbeat_at=None))
    )
    taken = (
        ImportJob.objects.filter(claimable, pk=job_id)
        .filter(attempts__lt=settings.IMPORT_MAX_ATTEMPTS)
        .update(heartbeat_at=now, attempts=F("attempts") + 1)
    )
    return ImportJob.objects.select_related("created_by").get(pk=job_id) if taken else None


def is_stale(job: ImportJob, *, now=None) -> bool:
    """A job that should be running but whose runner stopped beating."""
    if job.finished:
        return False
    if job.status == JobStatus.QUEUED and job.heartbeat_at is None:
        limit = timedelta(seconds=settings.IMPORT_STALE_SECONDS)
        return (now or timezone.now()) - job.created_at > limit
    stale = (now or timezone.now()) - timedelta(seconds=settings.IMPORT_STALE_SECONDS)
    return job.heartbeat_at is None or job.heartbeat_at < stale


def run(job_id: int) -> ImportJob | None:
    """Run (or resume) a job to its end. ``None`` when someone else is running it."""
    job = claim(job_id)
    if job is None:
        return None
    with translation.override(job.language or settings.LANGUAGE_CODE):
        try:
            if job.status in (JobStatus.QUEUED, JobStatus.CHECKING):
                _check(job)
            if job.status == JobStatus.WRITING:
                _write(job)
        except DomainError as exc:
            _fail(job, str(exc.message))
        except Exception:
            logger.exception("Import job %s stopped", job.pk)
            ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=None)
            job.refresh_from_db()
            if job.attempts >= settings.IMPORT_MAX_ATTEMPTS:
                _fail(
                    job,
                    _(
                        "The import stopped because of an internal error; what was saved is "
                        "counted above. Upload the file again, or ask the administrator."
                    ),
                )
            raise
    return job


def _fail(job: ImportJob, message: str) -> None:
    job.status = JobStatus.FAILED
    job.message = message[:500]
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "message", "finished_at"])
    delete_files(job)
    _audit_end(job)


def _add_errors(job: ImportJob, errors: list[tabular.RowError]) -> None:
    if not errors:
        return
    room = settings.IMPORT_MAX_REPORTED_ERRORS - len(job.errors)
    if room > 0:
        job.errors = job.errors + [[e.row, e.column, e.message] for e in errors[:room]]
    job.error_count += len(errors)
    job.failed_rows += len({e.row for e in errors})


def _check(job: ImportJob) -> None:
    cls = importer_class(job.kind)
    importer = cls(job.created_by)
    job.status = JobStatus.CHECKING
    for name in ("total_rows", "checked_rows", "valid_rows", "error_count", "failed_rows"):
        setattr(job, name, 0)
    job.created = job.updated = job.unchanged = 0
    job.errors = []
    raw = crypto.unseal(_upload_path(job).read_bytes(), context=_context(job, "upload"))
    upload = io.BytesIO(raw)
    upload.name = job.file_name
    del raw
    context = _context(job, "rows")
    with (
        tabular.open_table(
            upload,
            cls.layout,
            max_rows=settings.IMPORT_MAX_ROWS,
            max_bytes=settings.IMPORT_MAX_BYTES,
        ) as stream,
        open(_spool_path(job), "wb") as spool,
    ):
        job.estimated_rows = stream.estimated_rows
        job.save()
        rows = iter(stream.rows)
        while batch := list(itertools.islice(rows, BATCH)):
            records, errors = importer.check(batch, stream.header)
            if records:
                sealed = crypto.seal(marshal.dumps(records), context=context)
                spool.write(_LENGTH.pack(len(sealed)) + sealed)
            for _number, action, _data in records:
                setattr(job, action, getattr(job, action) + 1)
            _add_errors(job, [*(e for r in batch for e in r.errors), *errors])
            job.total_rows += len(batch)
            job.checked_rows = job.total_rows
            job.valid_rows += len(records)
            job.heartbeat_at = timezone.now()
            job.save()
        spool.flush()
        os.fsync(spool.fileno())
    if not job.total_rows:
        raise DomainError(_("The file has a header row but no data rows."), field="file")
    refused = job.mode == tabular.ALL_OR_NOTHING and job.error_count
    if not job.dry_run:
        job.created = job.updated = job.unchanged = 0  # from here on: what was written
    if job.dry_run or not job.valid_rows or refused:
        _done(job)
        return
    job.status = JobStatus.WRITING
    job.checkpoint = job.written_rows = 0
    job.heartbeat_at = timezone.now()
    job.save()


def _write(job: ImportJob) -> None:
    importer = importer_class(job.kind)(job.created_by)
    for batch in _spool_batches(job):
        pending = [record for record in batch if record[0] > job.checkpoint]
        if not pending:
            continue
        with transaction.atomic():
            counts, errors = importer.write(pending)
            for action in ACTIONS:
                setattr(job, action, getattr(job, action) + counts.get(action, 0))
            _add_errors(job, errors)
            job.checkpoint = pending[-1][0]
            job.written_rows += len(pending)
            job.heartbeat_at = timezone.now()
            job.save()
        after_batch(job)
    job.errors = sorted(job.errors, key=lambda e: e[0])
    _done(job)


def after_batch(job: ImportJob) -> None:
    """A hook after each committed batch (tests use it to simulate a crash)."""


def _done(job: ImportJob) -> None:
    job.status = JobStatus.DONE
    job.written = not job.dry_run and (job.created + job.updated) > 0
    job.finished_at = timezone.now()
    job.save()
    delete_files(job)
    _audit_end(job)
    after = getattr(importer_class(job.kind), "after_import", None)
    if job.written and after is not None:
        after()


def _audit_end(job: ImportJob) -> None:
    record(
        actor=job.created_by,
        action="import.finish",
        target=job,
        changes={
            "kind": [None, job.kind],
            "status": [None, job.status],
            "rows": [0, job.total_rows],
            "created": [0, job.created],
            "updated": [0, job.updated],
            "errors": [0, job.failed_rows],
            "dry_run": [None, job.dry_run],
        },
        reason=job.file_name,
    )


def resume_stale(*, now=None) -> dict[str, int]:
    """Resume jobs whose runner died; give up on those older than ``IMPORT_RESUME_HOURS``."""
    now = now or timezone.now()
    give_up = now - timedelta(hours=settings.IMPORT_RESUME_HOURS)
    stale = now - timedelta(seconds=settings.IMPORT_STALE_SECONDS)
    unfinished = ImportJob.objects.filter(
        Q(status=JobStatus.QUEUED)
        | Q(status__in=RUNNING) & (Q(heartbeat_at__lt=stale) | Q(heartbeat_at=None))
    )
    counts = {"resumed": 0, "abandoned": 0}
    for job in unfinished.filter(created_at__lt=give_up).select_related("created_by"):
        with translation.override(job.language or settings.LANGUAGE_CODE):
            _fail(job, _("The import was not finished in time; upload the file again."))
        counts["abandoned"] += 1
    for job_id in unfinished.filter(created_at__gte=give_up).values_list("pk", flat=True):
        with contextlib.suppress(Exception):  # logged by run(); the next job gets its turn
            if run(job_id) is not None:
                counts["resumed"] += 1
    return counts


def report(job: ImportJob) -> tabular.ImportReport:
    """The job's outcome in the shape every import page shows."""
    return tabular.ImportReport(
        total=job.total_rows,
        valid=job.valid_rows,
        created=job.created,
        updated=job.updated,
        errors=[tabular.RowError(*e) for e in job.errors],
        dry_run=job.dry_run,
        mode=job.mode,
        written=job.written,
    )
