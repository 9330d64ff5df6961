"""Make a fresh WarmBee data dir (SQLite) with N synthetic stations, ready for gunicorn.

    .venv/bin/python bench/prepare.py --data-dir /tmp/warmbee-bench/http --size 200000 [--static]

Migrates, creates the cache table and a few regions, bulk-inserts the stations as real
``stations_station`` rows and (with ``--static``) collects the static files, which the pages
need with ``WARMBEE_DEBUG=0``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common


def prepare(data_dir: Path, size: int, static: bool) -> dict:
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    common.bootstrap(common.app_env(data_dir))
    t0 = time.perf_counter()
    common.migrate_and_seed()
    migrate_s = time.perf_counter() - t0
    insert_s = common.insert_stations(common.generate_stations(size))
    if static:
        from django.core.management import call_command

        call_command("collectstatic", interactive=False, verbosity=0)
    return {"migrate_s": migrate_s, "insert_s": insert_s, "size": size}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--data-dir", required=True)
    p.add_argument("--size", type=int, default=200_000)
    p.add_argument("--static", action="store_true")
    args = p.parse_args()
    out = prepare(Path(args.data_dir), args.size, args.static)
    print(
        f"prepared {args.data_dir}: {out['size']} stations,"
        f" migrate {out['migrate_s']:.1f} s, insert {out['insert_s']:.1f} s",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
