"""Consistent backups: SQLite through the online backup API (never ``cp``), PostgreSQL through
``pg_dump -Fc``. Restore instructions are in docs/operations.md."""

import hashlib
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class Command(BaseCommand):
    help = "Back up the database to WARMBEE_BACKUP_DIR (or --output) and verify the copy."

    def add_arguments(self, parser):
        parser.add_argument("--output", help="file to write (default: timestamped in BACKUP_DIR)")

    def handle(self, *args, output, **options):
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        if connection.vendor == "sqlite":
            target = Path(output or settings.BACKUP_DIR / f"warmbee-{stamp}.sqlite3")
            target.parent.mkdir(parents=True, exist_ok=True)
            connection.ensure_connection()
            dest = sqlite3.connect(target)
            try:
                connection.connection.backup(dest)
                check = dest.execute("PRAGMA integrity_check").fetchone()[0]
            finally:
                dest.close()
            if check != "ok":
                raise CommandError(f"backup failed its integrity check: {check}")
        elif connection.vendor == "postgresql":
            if not shutil.which("pg_dump"):
                raise CommandError("pg_dump is not installed")
            target = Path(output or settings.BACKUP_DIR / f"warmbee-{stamp}.dump")
            target.parent.mkdir(parents=True, exist_ok=True)
            params = connection.get_connection_params()
            cmd = ["pg_dump", "-Fc", "-f", str(target), "-d", params.get("dbname", "")]
            for flag, key in (("-h", "host"), ("-p", "port"), ("-U", "user")):
                if params.get(key):
                    cmd += [flag, str(params[key])]
            env = (
                {**os.environ, "PGPASSWORD": params["password"]} if params.get("password") else None
            )
            subprocess.run(cmd, check=True, env=env)  # noqa: S603 - fixed argv, no shell
        else:
            raise CommandError(f"unsupported database {connection.vendor}")
        target.chmod(0o600)
        self.stdout.write(f"backup written: {target} sha256={sha256_of(target)}")
