"""First-load page weight of the finder page and a station page, map tiles excluded.

    .venv/bin/python bench/page_weight.py [--stations 20000]

A fresh SQLite data dir with the stations and the collected static files, gunicorn as the
Makefile starts it with ``WARMBEE_MAP_TILES=none`` and ``WARMBEE_DEBUG=0``, then Playwright
(the venv in ``$BENCH_PW``, default /tmp/pw, created with ``python3 -m venv /tmp/pw &&
/tmp/pw/bin/pip install playwright`` when missing) drives Debian's chromium
(``/usr/bin/chromium``) at a 360×780 phone viewport with an empty cache, location granted near
the data. For each page it sums the encoded transfer size (response headers + body as sent) of
every response except those from map tile hosts, and lists them.

Results: ``$BENCH_DIR/page_weight.json`` and a Markdown table on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

BUDGET = 300 * 1024
TILE_HOSTS = ("tile", "tianditu", "autonavi", "amap.com", "openstreetmap", "map.baidu")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


# --- the browser side (runs in the Playwright venv: standard library and playwright only) ---


def measure_in_browser(jobs: list[dict], lat: float, lng: float) -> list[dict]:
    from playwright.sync_api import sync_playwright

    pages = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for job in jobs:
            url = job["url"]
            context = browser.new_context(
                viewport={"width": 360, "height": 780},
                device_scale_factor=2,
                is_mobile=True,
                has_touch=True,
                locale="zh-CN",
                geolocation={"latitude": lat, "longitude": lng},
                permissions=["geolocation"],
            )
            page = context.new_page()
            finished = []
            page.on("requestfinished", lambda req, out=finished: out.append(req))
            failed = []
            page.on("requestfailed", lambda req, out=failed: out.append(req.url))
            response = page.goto(url, wait_until="networkidle")
            page.wait_for_timeout(1500)  # anything started late (lazy scripts)
            page.wait_for_load_state("networkidle")
            if job.get("click"):  # e.g. the finder's "Stations near me" (location → nearby API)
                page.click(job["click"])
                page.wait_for_timeout(1500)
                page.wait_for_load_state("networkidle")
            resources, total, tiles = [], 0, 0
            for req in finished:
                sizes = req.sizes()
                resp = req.response()
                size = sizes["responseBodySize"] + sizes["responseHeadersSize"]
                host = urlsplit(req.url).hostname or ""
                is_tile = any(h in host for h in TILE_HOSTS)
                if is_tile:
                    tiles += size
                else:
                    total += size
                resources.append(
                    {
                        "url": req.url,
                        "type": req.resource_type,
                        "status": resp.status if resp else None,
                        "encoding": (resp.headers.get("content-encoding") if resp else None),
                        "body": sizes["responseBodySize"],
                        "headers": sizes["responseHeadersSize"],
                        "tile": is_tile,
                    }
                )
            pages.append(
                {
                    "url": url,
                    "label": job.get("label", urlsplit(url).path),
                    "status": response.status if response else None,
                    "title": page.title(),
                    "total_bytes": total,
                    "tile_bytes": tiles,
                    "requests": len(resources),
                    "failed": failed,
                    "resources": resources,
                }
            )
            context.close()
        browser.close()
    return pages


# --- orchestration (project venv) -------------------------------------------------------------


def ensure_tools(pw_python: Path) -> None:
    if not Path("/usr/bin/chromium").exists():
        subprocess.run(["apt-get", "install", "-y", "-q", "chromium", "fonts-noto-cjk"], check=True)
    if not pw_python.exists():
        venv = pw_python.parent.parent
        subprocess.run(["python3", "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "playwright"], check=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--stations", type=int, default=20_000)
    p.add_argument("--reuse", action="store_true")
    p.add_argument("--browser", help=argparse.SUPPRESS)  # JSON job for the Playwright side
    args, _rest = p.parse_known_args()
    if args.browser:
        job = json.loads(args.browser)
        print(json.dumps(measure_in_browser(job["pages"], job["lat"], job["lng"])))
        return

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import urllib.request

    from bench import common

    pw_python = Path(os.environ.get("BENCH_PW", "/tmp/pw")) / "bin" / "python"
    ensure_tools(pw_python)
    work = common.BENCH_DIR / "pages"
    data_dir = work / "data"
    if not (args.reuse and (data_dir / "warmbee.sqlite3").exists()):
        subprocess.run(
            [sys.executable, str(Path(__file__).with_name("prepare.py")), "--data-dir",
             str(data_dir), "--size", str(args.stations), "--static"],
            check=True,
        )  # fmt: skip
    lat, lng = (float(x[0]) for x in common.query_points(1, seed=404))
    port = common.free_port()
    base = f"http://127.0.0.1:{port}"
    log = work / "gunicorn-error.log"
    log.unlink(missing_ok=True)
    proc = common.start_gunicorn(data_dir, port, log=log)
    try:
        common.wait_http(base + "/api/v1/stations/amenities", timeout=120)
        with urllib.request.urlopen(
            f"{base}/api/v1/stations/nearby?lat={lat:.2f}&lng={lng:.2f}&limit=10", timeout=60
        ) as resp:
            code = json.loads(resp.read())["items"][0]["code"]
        jobs = [
            {"url": f"{base}/stations/", "label": "/stations/ (first load)"},
            {
                "url": f"{base}/stations/",
                "label": "/stations/ + tap “Stations near me”",
                "click": "#near-me",
            },
            {"url": f"{base}/stations/{code}/", "label": f"/stations/{code}/"},
        ]
        job = json.dumps({"pages": jobs, "lat": lat, "lng": lng})
        out = subprocess.run(
            [str(pw_python), __file__, "--browser", job],
            capture_output=True,
            text=True,
            check=True,
        )
        pages = json.loads(out.stdout)
    finally:
        common.stop_gunicorn(proc)
    report = {
        "machine": common.machine_info(),
        "argv": sys.argv,
        "chromium": subprocess.run(
            ["/usr/bin/chromium", "--version"], capture_output=True, text=True, check=False
        ).stdout.strip(),
        "location": [lat, lng],
        "pages": pages,
        "error_log": common.log_problems(log),
    }
    common.write_json(work.parent / "page_weight.json", report)
    print(markdown(report))


def markdown(report: dict) -> str:
    lines = [
        "| page | status | requests | transfer (KB, tiles excluded) | budget 300 KB |",
        "|---|---:|---:|---:|---|",
    ]
    for page in report["pages"]:
        path = page["label"]
        kb = page["total_bytes"] / 1024
        met = "met" if page["status"] == 200 and page["total_bytes"] <= BUDGET else "NOT met"
        lines.append(f"| {path} | {page['status']} | {page['requests']} | {kb:.1f} | {met} |")
    for page in report["pages"]:
        lines.append(f"\n{page['label']}:\n")
        lines.append("| resource | type | status | encoding | bytes |")
        lines.append("|---|---|---:|---|---:|")
        for r in sorted(page["resources"], key=lambda r: -(r["body"] + r["headers"])):
            lines.append(
                f"| `{urlsplit(r['url']).path[:70]}` | {r['type']} | {r['status']} |"
                f" {r['encoding'] or ''} | {r['body'] + r['headers']} |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
