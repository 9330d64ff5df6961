"""Background roster imports (core.import_jobs): batches, crash and resume, files, pages (R41)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from warmbee.audit.models import AuditEvent
from warmbee.core import import_jobs
from warmbee.core.models import ImportJob, JobStatus
from warmbee.workers.models import Employment, Worker

HEADER = "姓名,手机号,企业,网点,工种,工号,入行日期,身份证号\n"
ID = "11010519491231002X"


class Crash(Exception):
    pass


def roster(count: int, *, start: int = 0, id_every: int = 0) -> SimpleUploadedFile:
    lines = []
    for i in range(start, start + count):
        id_number = ID if id_every and i == start else ""
        lines.append(f"工人{i},1391111{i:04d},顺丰,顺丰萨尔图营业部,,,,{id_number}\n")
    return SimpleUploadedFile("roster.csv", (HEADER + "".join(lines)).encode("gb18030"))


def workers():
    return Worker.objects.unscoped(reason="test")


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(import_jobs, "BATCH", 10)


def new_job(actor, upload, *, mode="valid_only", dry_run=False) -> ImportJob:
    return import_jobs.create(
        actor=actor, kind="workers.roster", upload=upload, mode=mode, dry_run=dry_run
    )


def test_crash_mid_write_then_resume_gives_exact_counts(
    personas, registry, small_batches, monkeypatch
):
    officer = personas["district_officer"]
    job = new_job(officer, roster(35))
    batches = []

    def crash_on_second(job):
        batches.append(job.checkpoint)
        if len(batches) == 2:
            raise Crash

    monkeypatch.setattr(import_jobs, "after_batch", crash_on_second)
    with pytest.raises(Crash):
        import_jobs.run(job.pk)
    job.refresh_from_db()
    # Two whole batches are in, with their counters and checkpoint; the rest is waiting.
    assert (job.status, job.written_rows, job.created, workers().count()) == (
        JobStatus.WRITING,
        20,
        20,
        20,
    )
    assert job.checkpoint == 21  # row numbers start at 2 under the header
    monkeypatch.setattr(import_jobs, "after_batch", lambda job: None)
    job = import_jobs.run(job.pk)
    assert (job.status, job.created, job.updated, job.written) == (JobStatus.DONE, 35, 0, True)
    assert workers().count() == 35 == workers().values("phone").distinct().count()
    assert Employment.objects.unscoped(reason="test").count() == 35
    bulk = AuditEvent.objects.filter(action="worker.create_bulk")
    assert sum(e.changes["created"][1] for e in bulk) == 35
    assert job.attempts == 2


def test_crash_while_checking_writes_nothing_and_restarts_the_check(
    personas, registry, small_batches, monkeypatch
):
    officer = personas["district_officer"]
    job = new_job(officer, roster(25))
    original = import_jobs.importer_class("workers.roster").check
    calls = []

    def flaky(self, rows, header):
        calls.append(len(rows))
        if len(calls) == 2:
            raise Crash
        return original(self, rows, header)

    monkeypatch.setattr(import_jobs.importer_class("workers.roster"), "check", flaky)
    with pytest.raises(Crash):
        import_jobs.run(job.pk)
    assert workers().count() == 0
    job = import_jobs.run(job.pk)
    assert (job.status, job.total_rows, job.created) == (JobStatus.DONE, 25, 25)
    assert workers().count() == 25


def test_a_running_job_is_not_taken_twice(personas, registry):
    job = new_job(personas["district_officer"], roster(3))
    ImportJob.objects.filter(pk=job.pk).update(status="writing", heartbeat_at=timezone.now())
    assert import_jobs.claim(job.pk) is None
    assert import_jobs.run(job.pk) is None
    ImportJob.objects.filter(pk=job.pk).update(
        heartbeat_at=timezone.now() - dt.timedelta(minutes=10)
    )
    assert import_jobs.claim(job.pk) is not None


def test_gives_up_after_max_attempts(personas, registry, settings):
    settings.IMPORT_MAX_ATTEMPTS = 2
    job = new_job(personas["district_officer"], roster(3))
    ImportJob.objects.filter(pk=job.pk).update(attempts=2)
    assert import_jobs.claim(job.pk) is None


def test_files_are_encrypted_at_rest_and_deleted_at_the_end(personas, registry):
    job = new_job(personas["district_officer"], roster(3, id_every=1))
    upload = import_jobs._upload_path(job)
    stored = upload.read_bytes()
    assert ID.encode() not in stored and "工人".encode("gb18030") not in stored
    import_jobs.run(job.pk)
    assert not upload.exists() and not import_jobs._spool_path(job).exists()
    assert workers().get(phone="+8613911110000").id_number == ID


def test_all_or_nothing_refuses_the_whole_file(personas, registry):
    bad = SimpleUploadedFile(
        "roster.csv",
        (
            HEADER
            + "赵一,13911110001,顺丰,顺丰萨尔图营业部,,,,\n钱二,123,顺丰,顺丰萨尔图营业部,,,,\n"
        ).encode(),
    )
    job = import_jobs.run(new_job(personas["district_officer"], bad, mode="all_or_nothing").pk)
    assert (job.status, job.written, job.created, job.failed_rows) == (JobStatus.DONE, False, 0, 1)
    assert job.errors[0][:2] == [3, "手机号"]
    assert workers().count() == 0


def test_dry_run_counts_what_would_happen(personas, registry):
    officer = personas["district_officer"]
    import_jobs.run(new_job(officer, roster(5)).pk)
    job = import_jobs.run(new_job(officer, roster(8), dry_run=True).pk)
    assert (job.created, job.updated, job.unchanged, job.written) == (3, 0, 5, False)
    assert workers().count() == 5


def test_rerun_and_moves_are_updates(personas, registry):
    officer = personas["district_officer"]
    import_jobs.run(new_job(officer, roster(4)).pk)
    moved = roster(4).read().decode("gb18030").replace("顺丰萨尔图营业部", "SF01", 1)
    moved = moved.replace("工人1,", "工人一,")
    job = import_jobs.run(
        new_job(officer, SimpleUploadedFile("r.csv", moved.encode("utf-8-sig"))).pk
    )
    # SF01 is the same outlet's code: only the renamed worker changed.
    assert (job.created, job.updated, job.unchanged) == (0, 1, 3)
    assert workers().filter(name="工人一").count() == 1


def test_the_same_mobile_for_another_employee_number_is_a_row_error(personas, registry):
    officer = personas["district_officer"]
    first = SimpleUploadedFile(
        "r.csv", (HEADER + "赵一,13911110001,顺丰,顺丰萨尔图营业部,,E-1,,\n").encode()
    )
    import_jobs.run(new_job(officer, first).pk)
    second = SimpleUploadedFile(
        "r.csv", (HEADER + "钱二,13911110001,顺丰,顺丰萨尔图营业部,,E-2,,\n").encode()
    )
    job = import_jobs.run(new_job(officer, second).pk)
    assert [e[:2] for e in job.errors] == [[2, "手机号"]]
    assert workers().count() == 1


def test_a_large_file_goes_to_the_task_worker(
    personas, registry, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_INLINE_BYTES = 10
    job = new_job(personas["district_officer"], roster(12))
    with django_capture_on_commit_callbacks(execute=True):
        import_jobs.start(job)
    job.refresh_from_db()
    assert (job.status, job.created) == (JobStatus.DONE, 12)


def test_resume_command_resumes_stale_jobs_and_abandons_old_ones(personas, registry, capsys):
    officer = personas["district_officer"]
    stale = new_job(officer, roster(3))
    old = new_job(officer, roster(3, start=100))
    long_ago = timezone.now() - dt.timedelta(days=3)
    ImportJob.objects.filter(pk=old.pk).update(created_at=long_ago)
    call_command("resume_imports")
    assert "1 resumed, 1 abandoned" in capsys.readouterr().out
    stale.refresh_from_db()
    old.refresh_from_db()
    assert (stale.status, stale.created) == (JobStatus.DONE, 3)
    assert old.status == JobStatus.FAILED and not import_jobs._upload_path(old).exists()


def test_file_level_problem_fails_the_job_with_its_message(personas, registry):
    bad = SimpleUploadedFile("roster.csv", "姓名,手机号\n赵一,13911110001\n".encode())
    job = import_jobs.run(new_job(personas["district_officer"], bad).pk)
    assert job.status == JobStatus.FAILED and "企业" in job.message


def test_job_pages_progress_report_and_errors_file(as_persona, personas, registry):
    client = as_persona("district_officer")
    formula = SimpleUploadedFile(
        "roster.csv", (HEADER + '"=HYPERLINK(""x"")",123,顺丰,顺丰萨尔图营业部,,,,\n').encode()
    )
    response = client.post(
        "/console/workers/import/", {"file": formula, "mode": "valid_only"}, follow=True
    )
    job = response.context["job"]
    body = response.content.decode()
    assert job.status == "done" and "导入结果" in body and "hx-trigger" not in body
    errors = client.get(f"/console/imports/{job.pk}/errors.csv")
    assert errors["Content-Disposition"].startswith("attachment")
    assert "手机号" in errors.content.decode("utf-8-sig")
    assert client.get("/console/imports/").context["rows"][0][0] == job
    # While running, the status part polls itself.
    ImportJob.objects.filter(pk=job.pk).update(
        status="writing", heartbeat_at=timezone.now(), finished_at=None
    )
    partial = client.get(f"/console/imports/{job.pk}/", HTTP_HX_REQUEST="true")
    assert "hx-trigger" in partial.content.decode() and "<html" not in partial.content.decode()
    # Another officer cannot see it.
    assert as_persona("city_officer").get(f"/console/imports/{job.pk}/").status_code == 404


def test_upload_larger_than_the_limit_is_refused_on_the_form(as_persona, registry, settings):
    settings.IMPORT_MAX_BYTES = 100
    response = as_persona("district_officer").post(
        "/console/workers/import/", {"file": roster(20), "mode": "valid_only"}
    )
    assert response.status_code == 200
    assert "MB" in str(response.context["form"].errors["file"])
    assert ImportJob.objects.count() == 0


def test_repeated_rows_are_found_across_batches(personas, registry, small_batches):
    rows = roster(15).read().decode("gb18030") + "又一个,13911110003,顺丰,顺丰萨尔图营业部,,,,\n"
    upload = SimpleUploadedFile("r.csv", rows.encode("utf-8"))
    job = import_jobs.run(new_job(personas["district_officer"], upload).pk)
    assert [e[:2] for e in job.errors] == [[17, ""]]
    assert "5" in job.errors[0][2]
    assert job.created == 15


def test_insert_rows_fills_defaults_encrypts_and_returns_ids_in_order(registry):
    from django.db import connection

    from warmbee.core.bulk import insert_rows

    outlet = registry["sf_own"]
    base = {
        "kind": "courier",
        "company_id": outlet.company_id,
        "outlet_id": outlet.pk,
        "region_id": outlet.region_id,
        "source": "import",
    }
    rows = [{**base, "name": f"工人{i}", "phone": f"+861391111000{i}"} for i in range(3)]
    rows[1]["id_number"] = ID
    ids = insert_rows(Worker, rows)
    got = {w.pk: w for w in workers()}
    assert [got[pk].phone for pk in ids] == [r["phone"] for r in rows]
    middle = got[ids[1]]
    assert middle.id_number == ID and middle.status == "active" and middle.created_at
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM workers_worker WHERE id = %s", [ids[1]])
        assert ID not in cursor.fetchone()[0]


def test_an_import_recounts_coverage(personas, registry, django_capture_on_commit_callbacks):
    from warmbee.workers.models import CoverageCount

    with django_capture_on_commit_callbacks(execute=True):
        import_jobs.run(new_job(personas["district_officer"], roster(4)).pk)
    counts = CoverageCount.objects.unscoped(reason="test")
    assert sum(c.workers for c in counts) == 4


def test_refresh_coverage_command(personas, registry, capsys):
    import_jobs.run(new_job(personas["district_officer"], roster(2)).pk)
    call_command("refresh_coverage")
    assert "coverage rows" in capsys.readouterr().out


def test_a_rerun_that_changes_nothing_says_so(as_persona, registry):
    client = as_persona("district_officer")
    for _ in range(2):
        response = client.post(
            "/console/workers/import/", {"file": roster(3), "mode": "valid_only"}, follow=True
        )
    body = response.content.decode()
    assert response.context["job"].unchanged == 3
    assert "无需保存" in body and "未保存任何内容" not in body


@pytest.mark.parametrize(
    "name, content, message",
    [("roster.txt", b"hello", ".xlsx"), ("roster.csv", b"", "空文件")],
)
def test_wrong_kind_of_file_is_refused_on_the_form(as_persona, registry, name, content, message):
    upload = SimpleUploadedFile(name, content)
    response = as_persona("district_officer").post(
        "/console/workers/import/", {"file": upload, "mode": "valid_only"}
    )
    assert response.status_code == 200
    assert message in str(response.context["form"].errors["file"])
    assert ImportJob.objects.count() == 0
